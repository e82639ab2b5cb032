Also in: ${", ".join(outlets)}
Watch: ${watch_name} (${watch_id})
Latest copy: ${title}
Outlet: ${outlet}
Published: ${published}
Matched: ${", ".join(terms)}
URL: ${url}
% if short(snippet):

${short(snippet)}
% endif

newswatch follow-up ${alert_id} · key ${key}
