**${md(watch_name)}: ${len(items)} alert(s)**
% for item in items:
% if item.kind == "followup":
- also in ${md(", ".join(item.outlets))}: [${md(item.title)}](${item.url}) · ${md(item.outlet)} · ${when(item.published)} · matched: ${md(", ".join(item.terms))}
% else:
- [${md(item.title)}](${item.url}) · ${md(item.outlet)} · ${when(item.published)} · matched: ${md(", ".join(item.terms))}
% endif
  ${item.url}
% if short(item.snippet):
  > ${md(short(item.snippet))}
% endif
% endfor

`newswatch digest ${alert_id} · key ${key}`
