#!/usr/bin/env bash
# Refresh the translation template app/locale/messages.pot from the source (German is the source language).
set -euo pipefail
cd "$(dirname "$0")/.."
uv run --frozen pybabel extract -F babel.cfg --no-location --sort-output --project Saalumfrage \
  -k _ -k N_ -k translate -k Invalid:2 -k Conflict:2 -k NotFound:2 -k DomainError:2 -k Forbidden:2 -k ProtocolError:2 -k HTTPException:2 \
  -o app/locale/messages.pot . 2>&1 | grep -v '^extracting' || true
