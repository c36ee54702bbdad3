"""A bounded fuzz test of the JSON API from its own OpenAPI document (schemathesis), on both databases.

The schema is read from the running app (`/api/openapi.json`, in process over ASGI). Every operation
runs schemathesis' three phases: the document's examples (one of which is a valid response, so a 201
is seen), coverage cases (boundaries, missing fields, wrong media types, every other method) and 200
generated requests, valid and invalid mixed, derandomised so a CI run is reproducible. No answer may be
a 5xx, and every answer must be documented: its status, content type, headers and body schema.
Rate limits are off for this app, so a 429 cannot hide what the request itself would get.

The document cannot say which answers a questionnaire takes, so a second test sends answers of any
JSON shape (NaN and Infinity included, which Python's json reads) to the questionnaires' own
variables: each is a 201 or a 422 from the catalogue.

Schemathesis' pytest loader (`from_fixture`) does not run under this pytest, so each operation's
test is built with the builder that loader uses, and one test per database runs them all and reports
every failing operation together.
"""

from __future__ import annotations

import json
import math
import shutil
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from sqlmodel import Session

from server.app import create_app
from server.store import staff, tokens
from server.store.responses import count_responses
from tests.conftest import BUNDLED
from tests.server.robot import VILLAGE
from tests.server.staffkit import COUNTY, PASSWORD

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, unsupported_method]
EXAMPLES = 200
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=False,
                suppress_health_check=list(HealthCheck))
# Beside the bundled questionnaires, one whose numbers have no bounds: any finite number is a valid answer.
OPEN = ("name: open\ntitle: 无界的数\npages:\n  - name: p1\n    title: 第一页\n    questions:\n"
        "      - {name: amount, kind: decimal, label: 金额, decimals: 2, required: false}\n"
        "      - {name: count, kind: integer, label: 个数, required: false}\n"
        "      - {name: note, kind: text, label: 备注, required: false}\n")


@pytest.fixture
def fuzz_app(make_settings: Any, tmp_path: Path) -> Any:
    """The app on this test's database, with every rate limit off and the `open` questionnaire added."""
    definitions = tmp_path / "definitions"
    shutil.copytree(BUNDLED, definitions)
    (definitions / "open.yaml").write_text(OPEN, encoding="utf-8")
    app = create_app(make_settings(definitions).model_copy(update={"rate_limits": "off"}))
    with Session(app.state.engine) as session:  # every request carries a county admin's API token
        account = staff.add_staff(session, "fuzz", PASSWORD, "admin", COUNTY)
        session.flush()
        app.state.fuzz_headers = {"Authorization": f"Bearer {tokens.issue(session, account.id, 'fuzz', datetime.now(UTC))[1]}"}
        session.commit()
    yield app
    app.state.engine.dispose()


def fuzz_operation(operation: Any, headers: dict[str, str]) -> Counter[tuple[str, int]]:
    """Run the operation's examples, coverage cases and fuzzing; returns how often each (method, status) came."""
    answers: Counter[tuple[str, int]] = Counter()

    def call(case: Any) -> None:
        answers[(case.method.upper(), case.call_and_validate(checks=CHECKS, headers=headers).status_code)] += 1

    build_operation_test(config=operation.schema.config, operation=operation, test_func=call, given_kwargs={},
                         feedback=FeedbackSources(), explicit_settings=FUZZ)()
    return answers


@pytest.mark.slow
def test_every_generated_request_gets_a_documented_answer_and_no_5xx(fuzz_app: Any) -> None:
    schema = schemathesis.openapi.from_asgi(fuzz_app.openapi_url, fuzz_app)
    seen: dict[str, Counter[tuple[str, int]]] = {}
    failures: dict[str, Exception] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            seen[operation.label] = fuzz_operation(operation, fuzz_app.state.fuzz_headers)
        except Exception as exc:  # every operation runs; all failures are reported together
            failures[operation.label] = exc
    assert not failures, "\n\n".join(f"{label}:\n{exc}" for label, exc in failures.items())
    assert len(seen) == 16, seen  # the public API, the console's JSON twins, the field app's API, indicators, evaluations
    for label, answers in seen.items():
        method = label.split()[0]
        assert not any(status >= 500 for _, status in answers), (label, answers)
        if "{" in label:  # an operation with parameters: at least EXAMPLES requests of its own method
            assert sum(n for (m, _), n in answers.items() if m == method) >= EXAMPLES, (label, answers)
    assert seen["POST /api/v1/surveys/{survey}/responses"][("POST", 201)] >= 1  # the example is accepted
    assert seen["GET /api/v1/surveys/{survey}/responses/{instance_id}"][("GET", 200)] >= 1
    assert seen["GET /api/v1/units/{code}"][("GET", 200)] >= 1 and seen["GET /api/v1/units/{code}"][("GET", 404)] >= 1


EDGE_NUMBERS = st.sampled_from([math.inf, -math.inf, math.nan, 1e308, -0.0, 10**20, -1, 0, 1, 2, -8, -9])
JSON_VALUES = st.recursive(
    EDGE_NUMBERS | st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10)
ANSWER_CODES = {"response.answers_invalid", "request.bad_number", "request.bad_characters", "request.too_deep"}


def fuzz_answers(client: TestClient, survey: str, variables: list[str]) -> Counter[int]:
    """Post EXAMPLES responses whose answers are any JSON, keyed mostly by the survey's own variables."""
    statuses: Counter[int] = Counter()

    @FUZZ
    @given(answers=st.dictionaries(st.sampled_from(variables), JSON_VALUES, max_size=6)
           | st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3))
    def post(answers: dict[str, Any]) -> None:
        body = {"instance_id": str(uuid.uuid4()), "version": 1, "village": VILLAGE, "answers": answers}
        r = client.post(f"/api/v1/surveys/{survey}/responses", content=json.dumps(body),  # NaN as Python writes it
                        headers={"Content-Type": "application/json"})
        statuses[r.status_code] += 1
        assert r.status_code == 201 or (r.status_code == 422 and r.json()["code"] in ANSWER_CODES), r.text

    post()
    return statuses


@pytest.mark.slow
def test_answers_of_any_json_shape_to_real_questions_are_a_201_or_a_catalogue_422(fuzz_app: Any) -> None:
    statuses: Counter[int] = Counter()
    with TestClient(fuzz_app, raise_server_exceptions=False) as client:
        for name, published in fuzz_app.state.catalog.current.items():
            variables = sorted({v for page in published.survey.pages for q in page.questions for v in q.variables})
            statuses += fuzz_answers(client, name, variables)
    assert statuses[201] >= 1 and statuses[422] >= 1, statuses
    with Session(fuzz_app.state.engine) as session:  # each 201 stored one response, each 422 none
        assert count_responses(session) == statuses[201]
