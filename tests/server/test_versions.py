"""Versions: a changed file becomes a new version; old versions stay as published; responses point
at the version that collected them; a kind may not change under a published name."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.app import create_app
from server.store import responses, versions
from surveys.errors import DefinitionInvalid
from tests.conftest import BUNDLED
from tests.server.robot import VILLAGE, browser_csrf, complete_answers


def test_changed_definition_becomes_a_new_version(make_settings: Any, tmp_path: Path) -> None:
    defs = tmp_path / "defs"
    shutil.copytree(BUNDLED, defs)
    app1 = create_app(make_settings(defs))
    v1 = app1.state.catalog.current["women"]
    with TestClient(app1) as phone:
        phone.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(phone)})  # a draft started under version 1
    women = defs / "women.yaml"
    women.write_text(women.read_text(encoding="utf-8").replace("妇女发展满意度与需求调查", "妇女发展满意度与需求调查（修订）", 1),
                     encoding="utf-8")
    app2 = create_app(make_settings(defs))
    v2 = app2.state.catalog.current["women"]
    assert (v1.number, v2.number) == (1, 2) and v1.survey.sha256 != v2.survey.sha256
    with Session(app2.state.engine) as session:
        stored = {v.number: v for v in versions.published_versions(session, "women")}
    assert stored[1].source == v1.survey.source and stored[1].sha256 == v1.survey.sha256
    with TestClient(app2) as client:
        body = {"instance_id": str(uuid.uuid4()), "version": 1, "village": VILLAGE,
                "answers": complete_answers(v1.survey)}
        assert client.post("/api/v1/surveys/women/responses", json=body).status_code == 201
    with Session(app2.state.engine) as session:
        row = responses.find_response(session, "women", body["instance_id"])
        assert row is not None and row.version_id == v1.version_id != v2.version_id
    for app in (app1, app2):
        app.state.engine.dispose()


def test_server_refuses_a_kind_change_under_a_published_name(make_settings: Any, tmp_path: Path) -> None:
    defs = tmp_path / "defs"
    shutil.copytree(BUNDLED, defs)
    create_app(make_settings(defs)).state.engine.dispose()
    women = defs / "women.yaml"
    text = women.read_text(encoding="utf-8")
    assert "      - name: hh_size\n        kind: integer\n" in text
    women.write_text(text.replace("      - name: hh_size\n        kind: integer\n", "      - name: hh_size\n        kind: decimal\n"),
                     encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as info:
        create_app(make_settings(defs))
    assert "D07" in str(info.value)
