"""A wave whose allocation is given: the admin types the villages per 乡镇 × 城乡 stratum on the wave's
page before the draw; the draw takes exactly that many from each stratum; broken numbers are refused
with a clear code and change nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session

from server.store import audit, units, waves
from tests.server import fieldkit as fk
from tests.server.staffkit import COUNTY

N = 30


def _inputs(page: str) -> dict[str, str]:
    """The given-allocation form's fields: stratum id -> the villages in it (from the table's row)."""
    soup = BeautifulSoup(page, "html.parser")
    out = {}
    for row in soup.select("table.given-strata tbody tr"):
        box = row.select_one("input")
        assert box is not None
        out[str(box["name"])[2:]] = row.select("td.n")[0].get_text()
    return out


def _plan(strata: dict[str, str]) -> dict[str, int]:
    """Two villages from every stratum, the rest from the largest, summing to N."""
    given = {sid: min(2, int(size)) for sid, size in strata.items()}
    largest = max(strata, key=lambda s: int(strata[s]))
    given[largest] += N - sum(given.values())
    return given


def _given_wave(admin: Any) -> int:
    made = fk.create_wave(admin, villages=N, allocation="given")
    assert made.status_code == 303, made.text
    return fk.wave_id(made)


def _post(admin: Any, wid: int, given: dict[str, Any]) -> Any:
    return fk.post(admin, f"/console/waves/{wid}/given", **{f"n_{k}": str(v) for k, v in given.items()})


def _wave(app: Any, wid: int) -> waves.Wave:
    with Session(app.state.engine) as session:
        wave = waves.get_wave(session, wid)
        assert wave is not None
        session.expunge(wave)
        return wave


def test_a_given_allocation_draws_exactly_the_villages_asked_per_stratum(app: Any, cheap_hashes: None) -> None:
    with fk.signed_in(app, "fuer", "admin", COUNTY) as admin:
        wid = _given_wave(admin)
        strata = _inputs(admin.get(f"/console/waves/{wid}").text)
        assert len(strata) == 14  # the bundled county's 乡镇 × 城乡 cells
        given = _plan(strata)
        assert _post(admin, wid, given).status_code == 303
        assert _wave(app, wid).given == given
        page = admin.get(f"/console/waves/{wid}").text
        assert all(f'value="{v}"' in page for v in given.values())
        assert admin.post(f"/console/waves/{wid}/sample", data={"csrf": fk.csrf(admin)}).status_code == 200
    with Session(app.state.engine) as session:
        places = {u.code: u for u in units.list_units(session, COUNTY)}
        logged = audit.entries(session, verb="wave.given")
        assert [(e.object_id, e.summary) for e in logged] == [(str(wid), {"strata": 14, "villages": N})]
    drawn = Counter(f"{places[v.village].parent}-{'urban' if places[v.village].urban else 'rural'}"
                    for v in fk.sample(app, wid))
    assert dict(drawn) == {sid: n for sid, n in given.items() if n}
    assert _wave(app, wid).allocation == "given"


@pytest.mark.parametrize(("change", "code"), [
    ({"first": "两"}, "wave.field_invalid"), ({"first": ""}, "wave.field_invalid"), ({"first": "-1"}, "wave.field_invalid"),
    ({"first": "999"}, "wave.field_invalid"), ({"first": "+1"}, "wave.given_invalid"),
])
def test_a_broken_given_allocation_is_a_clear_error_and_changes_nothing(app: Any, cheap_hashes: None,
                                                                       change: dict[str, str], code: str) -> None:
    with fk.signed_in(app, "fuer", "admin", COUNTY) as admin:
        wid = _given_wave(admin)
        given: dict[str, Any] = _plan(_inputs(admin.get(f"/console/waves/{wid}").text))
        assert _post(admin, wid, given).status_code == 303
        first = next(iter(given))
        broken = dict(given)
        broken[first] = given[first] + 1 if change["first"] == "+1" else change["first"]  # "+1": the sum is off
        r = _post(admin, wid, broken)
        assert r.status_code == 422 and fk.problem_code(r.text) == code
        assert _wave(app, wid).given == given


def test_a_given_wave_cannot_be_drawn_before_its_allocation_nor_changed_after(app: Any, cheap_hashes: None) -> None:
    with fk.signed_in(app, "fuer", "admin", COUNTY) as admin:
        wid = _given_wave(admin)
        r = admin.post(f"/console/waves/{wid}/sample", data={"csrf": fk.csrf(admin)})
        assert r.status_code == 409 and fk.problem_code(r.text) == "wave.given_missing"
        assert fk.sample(app, wid) == []
        given = _plan(_inputs(admin.get(f"/console/waves/{wid}").text))
        assert _post(admin, wid, given).status_code == 303
        assert admin.post(f"/console/waves/{wid}/sample", data={"csrf": fk.csrf(admin)}).status_code == 200
        again = _post(admin, wid, {**given, next(iter(given)): 0})
        assert again.status_code == 409 and fk.problem_code(again.text) == "wave.sample_drawn"
        assert _wave(app, wid).given == given
        other = fk.create_wave(admin, name="按比例分配的一轮")
        pid = fk.wave_id(other)
        r = _post(admin, pid, given)
        assert r.status_code == 409 and fk.problem_code(r.text) == "wave.status"
        assert _wave(app, pid).given == {}


def test_only_an_admin_of_the_wave_sets_its_allocation(app: Any, cheap_hashes: None) -> None:
    with fk.signed_in(app, "fuer", "admin", COUNTY) as admin:
        wid = _given_wave(admin)
        given = _plan(_inputs(admin.get(f"/console/waves/{wid}").text))
    for username, role, unit in (("dudao", "supervisor", "149901001000"), ("pinggu", "evaluator", COUNTY)):
        with fk.signed_in(app, username, role, unit) as client:
            assert _post(client, wid, given).status_code in (403, 404)
            assert "given-strata" not in client.get(f"/console/waves/{wid}").text
    assert _wave(app, wid).given == {}


def test_strata_merged_across_several_townships_are_stored_whole(app: Any, cheap_hashes: None) -> None:
    """One village per stratum: short strata merge, up to three townships in one (a long stratum id)."""
    with fk.signed_in(app, "fuer", "admin", COUNTY) as admin:
        made = fk.create_wave(admin, villages=14, allocation="given")
        wid = fk.wave_id(made)
        strata = _inputs(admin.get(f"/console/waves/{wid}").text)
        assert _post(admin, wid, dict.fromkeys(strata, 1)).status_code == 303
        assert admin.post(f"/console/waves/{wid}/sample", data={"csrf": fk.csrf(admin)}).status_code == 200
    ids = {v.stratum for v in fk.sample(app, wid)}
    assert max(len(s) for s in ids) > 40 and len(fk.sample(app, wid)) == 14
    assert any(s.count("+") >= 2 for s in ids)
