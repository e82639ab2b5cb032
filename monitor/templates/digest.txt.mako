Watch: ${watch_name} (${watch_id}): ${len(items)} alert(s)
% for item in items:

% if item.kind == "followup":
* also in ${", ".join(item.outlets)}: ${item.title}
% else:
* ${item.title} (${item.outlet}, ${when(item.published)})
% endif
  ${item.url}
% if short(item.snippet):
  ${short(item.snippet)}
% endif
% endfor

newswatch digest ${alert_id} · key ${key}
