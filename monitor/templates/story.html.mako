<p><b><a href="${url}">${title}</a></b></p>
<p>Outlet: ${outlet}<br>
Published: ${published}<br>
Watch: ${watch_name} (${watch_id})<br>
Matched: ${", ".join(terms)}<br>
URL: <a href="${url}">${url}</a></p>
% if short(snippet):
<blockquote>${short(snippet)}</blockquote>
% endif
<p><small>newswatch alert ${alert_id} · key ${key}</small></p>
