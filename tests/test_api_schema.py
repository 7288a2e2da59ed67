"""Schemathesis against the JSON API's OpenAPI schema: generated requests, logged in, bounded in number.

Every answer must be documented in the schema and none may be a server error. The requests go through the
same test client as the other tests (the app's lifespan runs, so the hub is there for moderator actions).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance, status_code_conformance

from app.main import create_app

# Built once from a throwaway app: the schema does not depend on the database.
schema = schemathesis.openapi.from_dict(create_app().openapi())


@pytest.fixture
def api_client(mod_client, event):
    """A logged-in moderator with the test event (id 1), so generated ids sometimes hit real rows."""
    return mod_client


@schema.include(path_regex="^/api/").parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_answers_within_its_schema_and_never_with_a_server_error(case, api_client):
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    kwargs.pop("url", None)
    response = api_client.request(case.method, case.formatted_path, **{k: v for k, v in kwargs.items() if k in ("headers", "params", "json", "content", "data")})
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
