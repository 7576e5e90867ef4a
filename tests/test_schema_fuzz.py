"""Property-based fuzzing of the JSON API against its own OpenAPI schema (schemathesis).

Every operation gets a bounded number of generated requests, as an anonymous
caller and (for writes too) as a staff token; no response may be a 5xx or
break the documented schema.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from .conftest import api_token
from .factories import StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# The schema is built in-process (no request at import time, when pytest-django still blocks the database).
# The coverage phase (exhaustive boundary values) alone takes minutes; examples + fuzzing keep the run bounded.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True), config=CONFIG)
schema.app = get_wsgi_application()
api = schema.include(path_regex=r"^/api/v1/")


@pytest.fixture(autouse=True)
def _keep_test_connection():
    # The real WSGI handler closes the database connection after each request, which would end the test's
    # transaction on PostgreSQL; Django's own test client disconnects the same handlers.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@api.include(method="GET").parametrize()
@FUZZ_SETTINGS
def test_api_reads_as_anonymous_never_fail(case, seed):
    # The WSGI client announces gzip like `requests` does but never decodes; anonymous lists come compressed.
    case.call_and_validate(headers={"Accept-Encoding": "identity"}, checks=CHECKS)


@pytest.fixture
def staff_token(db):
    return api_token(StaffFactory(username="fuzz-staff"))


@api.parametrize()
@FUZZ_SETTINGS
def test_api_all_operations_as_staff_never_fail(case, seed, staff_token):
    case.call_and_validate(headers={"Authorization": f"Token {staff_token}"}, checks=CHECKS)
