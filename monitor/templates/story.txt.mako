Watch: ${watch_name} (${watch_id})
Article: ${title}
Outlet: ${outlet}
Published: ${published}
Matched: ${", ".join(terms)}
URL: ${url}
% if short(snippet):

${short(snippet)}
% endif

newswatch alert ${alert_id} · key ${key}
