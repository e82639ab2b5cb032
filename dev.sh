#!/usr/bin/env bash
# The two commands of the Quick start:
#   ./dev.sh demo        install into .venv (first run only) and run the demo cycle
#   ./dev.sh test [ARGS] install into .venv (first run only) and run the whole test suite
# Anything else after `./dev.sh` is passed to the newswatch CLI inside the venv.
set -euo pipefail
cd "$(dirname "$0")"

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python=$candidate; break; fi
  done
fi
[ -n "$python" ] || { echo "dev.sh: Python 3.11 or newer is required" >&2; exit 1; }

venv=.venv
stamp="$venv/.installed-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "dev.sh: installing newswatch and its pinned dependencies into $venv ..." >&2
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test]"
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi

command=${1:-demo}
[ $# -gt 0 ] && shift
case "$command" in
  demo) exec "$venv/bin/newswatch" demo "$@" ;;
  test) exec "$venv/bin/python" -m pytest "$@" ;;
  *) exec "$venv/bin/newswatch" "$command" "$@" ;;
esac
