<p><b>Also in: ${", ".join(outlets)}</b></p>
<p><a href="${url}">${title}</a></p>
<p>Outlet: ${outlet}<br>
Published: ${published}<br>
Watch: ${watch_name} (${watch_id})<br>
Matched: ${", ".join(terms)}<br>
URL: <a href="${url}">${url}</a></p>
% if short(snippet):
<blockquote>${short(snippet)}</blockquote>
% endif
<p><small>newswatch follow-up ${alert_id} · key ${key}</small></p>
