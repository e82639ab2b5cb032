<p><b>${watch_name} (${watch_id}): ${len(items)} alert(s)</b></p>
<ul>
% for item in items:
<li>
% if item.kind == "followup":
also in ${", ".join(item.outlets)}: <a href="${item.url}">${item.title}</a><br>
% else:
<a href="${item.url}">${item.title}</a><br>
% endif
Outlet: ${item.outlet} · Published: ${when(item.published)}<br>
Matched: ${", ".join(item.terms)}<br>
URL: <a href="${item.url}">${item.url}</a>
% if short(item.snippet):
<br><i>${short(item.snippet)}</i>
% endif
</li>
% endfor
</ul>
<p><small>newswatch digest ${alert_id} · key ${key}</small></p>
