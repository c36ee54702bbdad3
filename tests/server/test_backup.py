"""`cunsheng backup` and `cunsheng restore`: a round trip on each database, and the refusals."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from server.cli import main
from server.store import responses
from server.store.audit import AuditEntry
from tests.server.robot import VILLAGE, complete_answers


def _post(client: Any, app: Any) -> None:
    answers = complete_answers(app.state.catalog.current["women"].survey)
    r = client.post("/api/v1/surveys/women/responses", json={"instance_id": str(uuid.uuid4()), "version": 1,
                                                             "village": VILLAGE, "answers": answers})
    assert r.status_code == 201, r.text


def _count(app: Any) -> int:
    with Session(app.state.engine) as session:
        return responses.count_responses(session)


@pytest.fixture
def cli_db(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUNSHENG_DATABASE_URL", app.state.engine.url.render_as_string(hide_password=False))


def test_a_backup_restores_the_database_as_it_was(app: Any, client: Any, cli_db: None, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _post(client, app)
    _post(client, app)
    out = tmp_path / "backups" / "county.bak"
    assert main(["backup", str(out)]) == 0 and out.stat().st_size > 0
    _post(client, app)  # written after the backup: gone after the restore
    assert _count(app) == 3
    assert main(["restore", str(out)]) == 2  # it holds responses: --force needed
    assert "backup.target_not_empty" in capsys.readouterr().err and _count(app) == 3
    app.state.engine.dispose()
    assert main(["restore", str(out), "--force"]) == 0, capsys.readouterr().err
    app.state.engine.dispose()
    assert _count(app) == 2
    with Session(app.state.engine) as session:
        verbs = [e.verb for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert verbs == ["backup.create", "backup.restore"]


def test_a_backup_never_overwrites_and_a_restore_checks_its_file(app: Any, client: Any, cli_db: None, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _post(client, app)
    taken = tmp_path / "taken.bak"
    taken.write_bytes(b"precious")
    assert main(["backup", str(taken)]) == 2 and taken.read_bytes() == b"precious"
    assert "backup.exists" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "nope.bak"), "--force"]) == 2
    assert "backup.missing" in capsys.readouterr().err
    junk = tmp_path / "junk.bak"
    junk.write_text("not a backup", encoding="utf-8")
    assert main(["restore", str(junk), "--force"]) == 2
    assert "backup.wrong_kind" in capsys.readouterr().err and _count(app) == 1
