% if kind == "digest":
[${watch_name}] digest: ${len(items)} alert(s)
% elif kind == "followup":
[${watch_name}] also in ${", ".join(outlets)}: ${title}
% else:
[${watch_name}] ${title}
% endif
