"""The OpenAPI document says what the API answers: every problem status with the one problem body,
the bodies of 200 and 201, the published questionnaires, and examples that make a valid request.
(The fuzz test, tests/server/test_fuzz.py, holds the app to the document; these pin what it found.)"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from server.store import responses

API = "/api/v1"


def operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", op) for path, item in spec["paths"].items() for method, op in item.items()]


def body_schema(answer: dict[str, Any]) -> dict[str, Any]:
    return answer["content"]["application/json"]["schema"]


def test_an_unknown_survey_is_a_documented_404_with_the_problem_body(client: Any) -> None:
    spec = client.get("/api/openapi.json").json()
    r = client.get(f"{API}/surveys/nosuch")
    assert r.status_code == 404 and r.json()["code"] == "survey.not_found"
    documented = spec["paths"][f"{API}/surveys/{{survey}}"]["get"]["responses"]["404"]
    assert body_schema(documented) == {"$ref": "#/components/schemas/ProblemOut"}
    assert "survey.not_found" in documented["description"]


def test_every_error_status_of_the_api_is_documented_with_the_problem_body(client: Any) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # FastAPI's 422 is never what we answer
    errors = [(label, status, answer) for label, op in operations(spec)
              for status, answer in op["responses"].items() if status.startswith("4")]
    assert errors
    for label, status, answer in errors:
        assert body_schema(answer) == {"$ref": "#/components/schemas/ProblemOut"}, (label, status)
    assert set(spec["components"]["schemas"]["ProblemOut"]["required"]) == {"code", "message", "details"}


def test_the_ingest_documents_its_answers_bodies_and_the_rate_limit(client: Any) -> None:
    post = client.get("/api/openapi.json").json()["paths"][f"{API}/surveys/{{survey}}/responses"]["post"]
    for status in ("200", "201"):
        assert body_schema(post["responses"][status]) == {"$ref": "#/components/schemas/ResponseOut"}
        assert "Location" in post["responses"][status]["headers"]
    assert "Retry-After" in post["responses"]["429"]["headers"]
    assert "request.bad_number" in post["responses"]["422"]["description"]


def test_the_survey_parameter_lists_the_published_questionnaires(client: Any) -> None:
    spec = client.get("/api/openapi.json").json()
    params = [p for _, op in operations(spec) for p in op.get("parameters", []) if p["name"] == "survey"]
    # the definition, the responses, a response status and the results
    assert len(params) == 4 and all(p["schema"]["enum"] == ["caregiver", "child", "women"] for p in params)


def test_the_documented_examples_make_a_valid_response_and_its_status_query(app: Any, client: Any) -> None:
    spec = client.get("/api/openapi.json").json()
    responses_path = spec["paths"][f"{API}/surveys/{{survey}}/responses"]
    properties = body_schema(responses_path["post"]["requestBody"])["properties"]
    body = {name: prop["examples"][0] for name, prop in properties.items()}
    created = client.post(f"{API}/surveys/women/responses", json=body)
    assert created.status_code == 201, created.json()
    assert set(created.json()) == set(spec["components"]["schemas"]["ResponseOut"]["properties"])
    (instance,) = [p for p in spec["paths"][f"{API}/surveys/{{survey}}/responses/{{instance_id}}"]["get"]["parameters"]
                   if p["name"] == "instance_id"]
    status = client.get(f"{API}/surveys/women/responses/{instance['schema']['examples'][0]}")
    assert status.status_code == 200 and status.json()["id"] == created.json()["id"]
    with Session(app.state.engine) as session:
        assert responses.count_responses(session) == 1


def test_the_field_api_documents_its_bodies_and_answers(client: Any) -> None:
    spec = client.get("/api/openapi.json").json()
    field = {label: op for label, op in operations(spec) if "/field/" in label}
    assert sorted(field) == ["DELETE /api/v1/field/devices/current", "GET /api/v1/field/bundle",
                             "POST /api/v1/field/devices", "POST /api/v1/field/sync"]
    assert body_schema(field["GET /api/v1/field/bundle"]["responses"]["200"]) == {"$ref": "#/components/schemas/BundleOut"}
    assert body_schema(field["POST /api/v1/field/sync"]["responses"]["200"]) == {"$ref": "#/components/schemas/SyncOut"}
    assert "auth.login_failed" in field["POST /api/v1/field/devices"]["responses"]["401"]["description"]
    assert "auth.forbidden" in field["POST /api/v1/field/devices"]["responses"]["403"]["description"]
    assert "204" in field["DELETE /api/v1/field/devices/current"]["responses"]
    update = body_schema(field["POST /api/v1/field/sync"]["requestBody"])["properties"]["updates"]["items"]
    assert sorted(kind["properties"]["type"]["const"] for kind in update["oneOf"]) == ["close", "respondent", "visit"]
    assert "$ref" not in str(update) and "$defs" not in str(spec["paths"])  # nested models written in place
