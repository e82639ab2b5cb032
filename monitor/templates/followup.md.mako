**Also in: ${md(", ".join(outlets))}**
${md(title)}
${md(outlet)} · ${published} · watch *${md(watch_name)}* · matched: ${md(", ".join(terms))}
${url}
% if short(snippet):

> ${md(short(snippet))}
% endif

`newswatch follow-up ${alert_id} · key ${key}`
