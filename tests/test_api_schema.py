"""Schemathesis against the app's OpenAPI schema: generated requests, bounded in number.

The JSON API, logged in: every answer must be documented in the schema and none may be a server error.
The pages and forms (also in the schema, with their form fields), logged in and not: no server error,
whatever the fields hold (the moderator's forms get a valid CSRF token, so the other fields reach the checks
behind it; the anonymous run keeps the generated token, non-ASCII ones included).
The requests go through the same test client as the other tests (the app's lifespan runs, so the hub is
there for moderator actions). scripts/test.sh runs this file on SQLite and again on PostgreSQL, where
ids over 2^31-1 and NUL characters used to overflow or break the columns; the PostgreSQL pass runs
fewer examples per operation (EXAMPLES) to keep the whole suite's time reasonable.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance, status_code_conformance

from app.main import create_app
from tests.conftest import TEST_DATABASE_URL
from tests.helpers import csrf_of, login

# Built once from a throwaway app: the schema does not depend on the database.
schema = schemathesis.openapi.from_dict(create_app().openapi())
EXAMPLES = 10 if TEST_DATABASE_URL else 20


@pytest.fixture
def api_client(mod_client, event):
    """A logged-in moderator with the test event (id 1), so generated ids sometimes hit real rows."""
    return mod_client


def _send(client, case):
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    kwargs.pop("url", None)
    return client.request(
        case.method, case.formatted_path,
        **{k: v for k, v in kwargs.items() if k in ("headers", "params", "json", "content", "data")},
        follow_redirects=False,
    )


@schema.include(path_regex="^/api/").parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_answers_within_its_schema_and_never_with_a_server_error(case, api_client):
    case.validate_response(
        _send(api_client, case),
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )


@pytest.fixture(params=["anonymous", "moderator"])
def page_client(request, client):
    if request.param == "moderator":  # with the test event (id 1), so generated ids sometimes hit real rows
        request.getfixturevalue("event")
        login(client)
    client.role = request.param
    return client


@schema.include(path_regex="^/(?!api/)").parametrize()
@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_pages_and_forms_never_answer_with_a_server_error(case, page_client):
    if page_client.role == "moderator" and isinstance(case.body, dict) and "csrf" in case.body:
        case.body = {**case.body, "csrf": csrf_of(page_client.get("/login").text)}
    case.validate_response(_send(page_client, case), checks=[not_a_server_error])
