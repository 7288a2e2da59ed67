#!/usr/bin/env bash
# Run the whole test suite. Installs what it needs: the Python dependencies and, where it can, Chromium, Java (for
# the Nu HTML checker) and nginx.
#   1. everything on SQLite: unit, websocket, page, API tests, the small benchmark, the browser suite
#      (tests/e2e), the scale-out tests (two instances on PostgreSQL + Redis) and the proxy tests
#      (tests/test_nginx.py: deploy/nginx.conf with Debian's nginx in front of two instances);
#   2. the same unit/websocket/page/API tests again on PostgreSQL, Schemathesis and the hostile-input tests
#      included (Schemathesis with fewer examples per operation there: tests/test_api_schema.py EXAMPLES).
# Both passes run on TEST_WORKERS (default 2) pytest-xdist workers; tests/conftest.py keeps the browser suite on
# one worker and the tests that start servers of their own on one worker, each one after the other.
# With CI=true the browser, nginx, PostgreSQL and Redis tests are required (and the services are started if they
# are down); elsewhere they skip with a note saying how to enable them. Arguments go to pytest and run
# only the first pass, e.g. ./scripts/test.sh tests/test_domain.py -q. Without arguments, ruff and mypy run first.
args=("$@"); set --  # the bootstrap passes its own arguments to uv sync
source "$(dirname "$0")/_bootstrap.sh"
set -- "${args[@]}"

if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "› Chromium wird installiert (apt-get install chromium) …"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "! Chromium konnte nicht installiert werden; Browser-Tests werden übersprungen (außer mit CI=true)."
fi

# tests/e2e/test_markup.py runs the Nu HTML checker (vnu.jar, from the dev dependencies) on Java. Slim Debian
# images leave out /usr/share/man, where the JRE's package puts links: the folder is made first.
if ! command -v java >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "› Java wird installiert (apt-get install default-jre-headless) …"
  (mkdir -p /usr/share/man/man1 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null) \
    || echo "! Java konnte nicht installiert werden; die Markup-Prüfung (tests/e2e/test_markup.py) wird übersprungen (außer mit CI=true)."
fi

# tests/test_nginx.py runs deploy/nginx.conf with Debian's nginx. Installed where that starts no system
# service (a container without systemd, or CI); on a systemd machine the package would serve port 80.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ] || [ ! -d /run/systemd/system ]; then
    echo "› nginx wird installiert (apt-get install nginx-light) …"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null) \
      || echo "! nginx konnte nicht installiert werden; tests/test_nginx.py wird übersprungen (außer mit CI=true)."
  else
    echo "– nginx fehlt: tests/test_nginx.py wird übersprungen (installieren: apt-get install nginx-light)."
  fi
fi

PG_URL="${TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
pg_up() { uv run --frozen python -c "import psycopg,sys; psycopg.connect('${PG_URL/+psycopg/}', connect_timeout=2).close()" 2>/dev/null; }
redis_up() { uv run --frozen python -c "import redis; redis.Redis(socket_connect_timeout=2).ping()" 2>/dev/null; }
if [ "${CI:-}" = "true" ]; then
  if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "› PostgreSQL wird gestartet …"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
  if ! redis_up && command -v redis-server >/dev/null 2>&1; then
    echo "› Redis wird gestartet …"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  fi
fi

XDIST=(-n "${TEST_WORKERS:-2}" --dist loadgroup)
status=0
if [ "$#" = 0 ]; then
  # The code's own checks first (configured in pyproject.toml); a finding fails the run, the tests still run.
  echo "› ruff check app tests bench; mypy app …"
  uv run --frozen ruff check app tests bench || status=1
  uv run --frozen mypy || status=1
fi
set +e
uv run --frozen pytest "${XDIST[@]}" "$@"
code=$?
set -e
if [ "$code" = 5 ]; then
  echo "Keine Tests ausgewählt (pytest exit code 5)."
  [ "${CI:-}" = "true" ] && code=1 || code=0
fi
[ "$code" = 0 ] || status=$code

if [ "$#" = 0 ]; then
  if pg_up; then
    echo "› Zweiter Durchlauf auf PostgreSQL ($PG_URL) …"
    set +e
    TEST_DATABASE_URL="$PG_URL" uv run --frozen pytest "${XDIST[@]}" -q tests \
      --ignore=tests/e2e --ignore=tests/test_bench_small.py --ignore=tests/test_scaleout.py --ignore=tests/test_nginx.py \
      --ignore=tests/test_server_stop.py --ignore=tests/test_crash_safety.py --ignore=tests/test_server.py \
      --ignore=tests/test_faults.py --ignore=tests/test_session_scaleout.py
    code=$?
    set -e
    [ "$code" = 0 ] || status=$code
  elif [ "${CI:-}" = "true" ]; then
    echo "! PostgreSQL nicht erreichbar unter $PG_URL – in CI erforderlich."
    status=1
  else
    echo "– PostgreSQL-Durchlauf übersprungen: kein Server unter $PG_URL"
    echo "  (starten: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start, oder TEST_POSTGRES_URL setzen)"
  fi
fi
exit "$status"
