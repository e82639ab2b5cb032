<p><b><a href="${url}">${title}</a></b><br>
${outlet} · ${published}</p>
<p>Watch: ${watch_name} (${watch_id})<br>
Matched: ${", ".join(terms)}</p>
% if short(snippet):
<blockquote>${short(snippet)}</blockquote>
% endif
<p><small>newswatch alert ${alert_id} · key ${key}</small></p>
