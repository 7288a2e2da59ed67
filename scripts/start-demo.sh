#!/usr/bin/env bash
# Start Saalumfrage with demo content on SQLite and the in-process bus; prints the URLs to open.
# Extra arguments go to `saalumfrage serve`, e.g. --host 0.0.0.0 --port 8000 --with-votes
source "$(dirname "$0")/_bootstrap.sh" --no-dev
exec uv run --frozen --no-dev saalumfrage serve --demo "$@"
