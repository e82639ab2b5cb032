**${md(title)}**
${md(outlet)} · ${published} · watch *${md(watch_name)}* · matched: ${md(", ".join(terms))}
${url}
% if short(snippet):

> ${md(short(snippet))}
% endif

`newswatch alert ${alert_id} · key ${key}`
