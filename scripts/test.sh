#!/usr/bin/env bash
# Run the whole test suite. Installs what it needs: the Python dependencies and, where it can, Chromium.
# With CI=true, the browser, PostgreSQL and Redis tests are required; elsewhere they skip with a note.
source "$(dirname "$0")/_bootstrap.sh"
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "› Chromium wird installiert (apt-get install chromium) …"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "! Chromium konnte nicht installiert werden; Browser-Tests werden übersprungen (außer mit CI=true)."
fi
set +e
uv run --frozen pytest "$@"
code=$?
set -e
if [ "$code" = 5 ]; then
  echo "Keine Tests ausgewählt (pytest exit code 5)."
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  exit 0
fi
exit "$code"
