"""Fuzzing: schemathesis generates requests for every operation of the OpenAPI document, valid and invalid,
anonymously and with a read and an admin token; no answer may be a server error, and every answer must be one
the document lists, in its content type and matching its schema.

Kept fast and stable for CI: a few examples per operation, derandomized, no example database.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from cade.core.db import utcnow
from tests.api.conftest import bearer
from tests.factories import ApplicationFactory, CallFactory, DecisionFactory, MembershipFactory, UserFactory

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
EXAMPLES = 12


@pytest.fixture()
def tokens(db, make_token):
    """Something for each operation to find: calls, a member's applications (one decided), an admin."""
    membership = MembershipFactory()
    call = CallFactory()
    CallFactory(draft=True)
    ApplicationFactory(organisation=membership.organisation, call=call, submitted=True)
    DecisionFactory(application__organisation=membership.organisation, released_at=utcnow())
    admin = UserFactory(roles=["admin"])
    return {"anonymous": None, "read": make_token(membership.user),
            "admin": make_token(admin, scopes=("read", "admin-read"))}


def _fuzz(operation, token, mode):
    # schemathesis asks for gzip, as `requests` does, but reads a WSGI answer without decoding it, as an HTTP
    # client would; the API's compression has its own tests (tests/core/test_compression.py).
    headers = {"Accept-Encoding": "identity", **(bearer(token) if token else {})}

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.parametrize("who", ["anonymous", "read", "admin"])
def test_no_operation_fails_or_strays_from_the_document(app, tokens, who):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9
    for operation in operations:
        raw = operation.definition.raw
        if who == "admin" and not raw.get("security"):
            continue  # a public operation ignores the token: fuzzed anonymously and with one token is enough
        # Negative cases need something to spoil: a parameter or a body.
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if raw.get("parameters") or raw.get(
            "requestBody") else [])
        for mode in modes:
            _fuzz(operation, tokens[who], mode)

