<p><b>${watch_name}: ${len(items)} alert(s)</b></p>
<ul>
% for item in items:
<li>
% if item.kind == "followup":
also in ${", ".join(item.outlets)}: <a href="${item.url}">${item.title}</a>
% else:
<a href="${item.url}">${item.title}</a> · ${item.outlet} · ${when(item.published)}
% endif
% if short(item.snippet):
<br><i>${short(item.snippet)}</i>
% endif
</li>
% endfor
</ul>
<p><small>newswatch digest ${alert_id} · key ${key}</small></p>
