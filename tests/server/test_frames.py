"""Stored responses become analysis-frame rows: by the version that collected them, in the unit tree."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from server import frames
from server.store import responses
from surveys.frame import to_pandas
from tests.server.robot import complete_answers


def _store(app: Any, village: str, outcome: str = "complete", **changes: Any) -> None:
    pub = app.state.catalog.current["women"]
    answers = {**complete_answers(pub.survey), **changes}
    with Session(app.state.engine) as session:
        responses.save_response(session, responses.prepare("women", pub.version_id, pub.number, str(uuid.uuid4()),
                                                           village, answers, outcome, "api", None, None))


def test_stored_responses_become_frame_rows_in_batches_scoped_to_a_subtree(app: Any) -> None:
    for village in ("149901001001", "149901001002", "149901002200"):
        _store(app, village)
    _store(app, "149901001001", outcome="ended", age=40)
    frame = frames.frame_for(app.state.catalog, "women")
    with Session(app.state.engine) as session:
        batches = list(frames.frame_rows(session, app.state.catalog, frame, frames.Filters(under="149901001000"),
                                         batch=2))
        ended = [r for b in frames.frame_rows(session, app.state.catalog, frame, frames.Filters(outcome="ended"))
                 for r in b]
    assert [len(b) for b in batches] == [2, 1]
    rows = [r for b in batches for r in b]
    assert {r["township"] for r in rows} == {"枣岭镇"} and {r["county"] for r in rows} == {"示范县"}
    assert all(r["sex"] == "F" and r["village_code"].startswith("149901001") for r in rows)
    assert [r["age_group"] for r in ended] == ["35-59"] and ended[0]["outcome"] == "ended"
    data = to_pandas(frame, rows)
    assert list(data.columns) == list(frame.names) and data["received_at"].notna().all()
    assert set(data["urban_rural"]) <= {"urban", "rural"} and data["response_id"].is_monotonic_increasing
