Watch: ${watch_name} (${watch_id}): ${len(items)} alert(s)
% for item in items:

% if item.kind == "followup":
* also in ${", ".join(item.outlets)}: ${item.title}
% else:
* ${item.title}
% endif
  Outlet: ${item.outlet} · Published: ${when(item.published)}
  Matched: ${", ".join(item.terms)}
  URL: ${item.url}
% if short(item.snippet):
  ${short(item.snippet)}
% endif
% endfor

newswatch digest ${alert_id} · key ${key}
