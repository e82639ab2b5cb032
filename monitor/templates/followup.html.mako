<p><b>Also in: ${", ".join(outlets)}</b></p>
<p><a href="${url}">${title}</a> (${outlet})<br>
Watch: ${watch_name} (${watch_id})</p>
<p><small>newswatch follow-up ${alert_id} · key ${key}</small></p>
