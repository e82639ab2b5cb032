**Also in: ${md(", ".join(outlets))}**
${md(title)} (${md(outlet)}) · watch *${md(watch_name)}*
${url}

`newswatch follow-up ${alert_id} · key ${key}`
