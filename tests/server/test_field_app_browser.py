"""The offline field app as it fails (issue 14, offline.md §8): headless chromium on a persistent profile at
360 px against a `cunsheng serve` process. Signed in and downloaded online; the network cut (and the
server gone); three cases worked — a complete interview, a refused consent, a partial interview across
a reload and a browser restart offline; a new version deployed while twelve items wait; the network
back; then exactly three responses and three closed cases on the server, still three after ten presses
of 同步, and nothing lost or doubled when the server is killed in the middle of a sync.
Screenshots of the offline case list, a questionnaire page and the sync result go to the temporary
folder, or to docs/screenshots with `make screenshots`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import BUNDLED
from tests.server import fieldappkit as fa

pytestmark = [pytest.mark.browser, pytest.mark.offline]
# the women's sensitive module refused question by question, the rest answered: a partial interview
REFUSED = {name: -9 for name in ("aw_dvlaw", "aw_order", "aw_12338", "aw_legal_aid", "aw_equality", "dv_attitude",
                                 "dv_help_first", "harass_help", "dv_experience")}


@pytest.fixture
def field(database_url: str, tmp_path: Path, cheap_hashes: None) -> Iterator[fa.Field]:
    with fa.field_server(database_url, tmp_path, BUNDLED) as served:
        yield served


def _watch_hosts(context: Any, hosts: set[str]) -> None:
    context.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))


def _work_three_cases(me: fa.Collector, field: fa.Field, ids: list[int], shots: Path) -> dict[str, Any]:
    """Complete (women, 1.1) and refused consent (child, 2.111), then the partial one up to page 3."""
    women, child = field.survey("women"), field.survey("child")
    me.case(ids[0])
    me.respondent(2)
    me.visit("interviewed")
    me.start_interview()
    me.interview(women)
    me.back_to_case()
    me.close_case("1.1")
    me.case(ids[1])
    me.respondent(1)
    me.visit("refused")
    me.start_interview()
    me.interview(child, {"guardian_consent": 2})
    assert "孩子不用继续填写" in me.page.inner_text("main")  # the definition's end message, offline
    me.back_to_case()
    me.close_case("2.111")
    me.case(ids[2])
    me.respondent(3)
    me.visit("interviewed")
    me.start_interview()
    answers = me.interview(women, pages=2)
    assert me.current_page() == "p_health"
    me.page.screenshot(path=str(shots / "41_field_question_360.png"))
    return answers


def test_three_cases_worked_offline_arrive_exactly_once(field: fa.Field, playwright: Any, shots: Path) -> None:
    ids = fa.seed_cases(field.app, ["women", "child", "women"])
    field.served.start()
    hosts: set[str] = set()
    context = fa.launch(playwright, field.profile)
    _watch_hosts(context, hosts)
    fa.grant_persistence(context, field.url)
    me = fa.Collector(context.pages[0], field.url)
    me.open_app()
    me.sign_in()
    me.worker_ready()
    assert me.page.locator("ul.cases li").count() == 3 and me.unsent() == 0
    assert me.page.locator("#b-persist").count() == 0  # storage granted: no warning

    context.set_offline(True)  # the network cut, and the server gone: nothing can come from anywhere
    field.served.stop()
    answers = _work_three_cases(me, field, ids, shots)
    me.put("health_self", ["2"])  # tapped, not yet submitted: kept across a reload
    me.page.reload()
    me.page.wait_for_selector("form#page")
    assert me.current_page() == "p_health" and me.page.is_checked("[name=health_self][value='2']")
    context.close()  # the browser closed and opened again, still offline

    context = fa.launch(playwright, field.profile, offline=True)
    _watch_hosts(context, hosts)
    fa.grant_persistence(context, field.url)
    me = fa.Collector(context.pages[0], field.url)
    me.open_app()  # served by the service worker
    me.case(ids[2])
    assert "访问中" in me.page.inner_text(".case-status")
    me.start_interview()
    assert me.current_page() == "p_health"
    me.interview(field.survey("women"), REFUSED, answers=answers)
    me.back_to_case()
    me.close_case("1.2")
    me.page.goto(f"{field.url}/field/#/")
    me.page.wait_for_selector("ul.cases")
    assert me.unsent() == 12  # per case: a respondent, a visit, the response, the closing
    me.page.screenshot(path=str(shots / "40_field_case_list_360.png"), full_page=True)

    version = me.page.get_attribute("body", "data-version")
    css = field.shell / "app.css"
    css.write_text(css.read_text(encoding="utf-8") + "/* deployed */\n", encoding="utf-8")
    field.served.start()  # a new version deployed while twelve items wait
    context.route("**/api/**", lambda route: route.abort("internetdisconnected"))  # the API not yet reachable
    context.set_offline(False)
    me.page.reload()
    me.page.click("[data-banner=update]")
    assert "还有 12 项没有上传" in me.page.inner_text(".ask")
    me.page.click(".ask [data-answer='1']")
    me.page.wait_for_function("(v) => document.body.dataset.version !== v", arg=version)
    me.page.wait_for_selector("ul.cases")
    assert me.unsent() == 12
    context.unroute("**/api/**")

    context.set_offline(True)
    context.set_offline(False)  # the network back: the app syncs by itself
    me.wait_unsent("未上传 0")
    first = fa.stored(field.app.state.engine)
    instance_ids = {first["cases"][i]["instance_id"] for i in ids}
    assert set(first["responses"]) == instance_ids
    assert {i: first["cases"][i]["disposition"] for i in ids} == {ids[0]: "1.1", ids[1]: "2.111", ids[2]: "1.2"}
    assert [first["cases"][i]["visits"] for i in ids] == [1, 1, 1]
    assert first["responses"][first["cases"][ids[1]]["instance_id"]] == {"guardian_consent": 2}  # only the refusal
    me.page.goto(f"{field.url}/field/#/sync")
    me.page.wait_for_selector(".sync-totals")
    assert "12" in me.page.inner_text(".sync-totals li:first-child")
    me.page.screenshot(path=str(shots / "42_field_sync_result_360.png"), full_page=True)

    for _ in range(10):
        me.page.click("#sync-now")
        me.page.wait_for_function("() => !document.getElementById('sync-now').disabled")
    assert fa.stored(field.app.state.engine) == first
    assert me.page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
    assert hosts == {urlsplit(field.url).netloc}  # no request to any other host


def test_a_server_killed_mid_sync_loses_nothing_and_stores_nothing_twice(field: fa.Field, playwright: Any) -> None:
    ids = fa.seed_cases(field.app, ["women"])
    field.served.start()
    context = fa.launch(playwright, field.profile)
    me = fa.Collector(context.pages[0], field.url)
    me.open_app()
    me.sign_in()
    me.worker_ready()
    context.set_offline(True)
    me.case(ids[0])
    me.respondent(1)
    me.visit("interviewed")
    me.start_interview()
    me.interview(field.survey("women"))
    me.back_to_case()
    me.close_case("1.1")
    assert me.unsent() == 4

    killed: list[int] = []

    def stored_then_killed(route: Any) -> None:
        """The server stores the response, then dies before the phone hears back."""
        answer = route.fetch()
        killed.append(answer.status)
        field.served.kill()
        route.abort("connectionreset")

    context.route("**/api/v1/surveys/*/responses", stored_then_killed)
    context.set_offline(False)
    me.wait_unsent("未上传 2")
    assert killed == [201]
    mid = fa.stored(field.app.state.engine)
    case = mid["cases"][ids[0]]
    assert len(mid["responses"]) == 1 and case["status"] == "open" and case["visits"] == 1 and case["eligible"] == 1
    context.unroute("**/api/v1/surveys/*/responses")
    field.served.start()  # the same database; the app retries by itself
    me.wait_unsent("未上传 0")
    after = fa.stored(field.app.state.engine)
    assert after["responses"] == mid["responses"]  # the resend stored nothing new
    assert after["cases"][ids[0]] | {"status": "open", "disposition": None} == case
    assert (after["cases"][ids[0]]["status"], after["cases"][ids[0]]["disposition"]) == ("closed", "1.1")
    context.close()


def test_the_app_warns_in_wechat_when_storage_is_not_kept_and_before_logging_out_with_unsent_items(
        field: fa.Field, playwright: Any) -> None:
    ids = fa.seed_cases(field.app, ["women"])
    field.served.start()
    context = fa.launch(playwright, field.profile, user_agent=fa.WECHAT_UA)  # persistent storage not granted
    me = fa.Collector(context.pages[0], field.url)
    me.open_app()
    wechat = me.page.locator("#b-wechat")
    assert "微信" in wechat.inner_text() and me.page.locator("#b-persist").count() == 1
    me.page.click("[data-banner=open-browser]")
    assert f"{field.url}/field/" in me.page.inner_text("#b-wechat .how")
    me.sign_in()
    context.set_offline(True)
    me.case(ids[0])
    me.visit("no_contact")
    me.page.goto(f"{field.url}/field/#/")
    me.page.click("[data-do=logout]")
    assert "还有 1 项没有上传" in me.page.inner_text(".ask")
    me.page.click(".ask [data-answer='0']")  # stay signed in
    assert me.page.locator("ul.cases").count() == 1 and me.unsent() == 1
    me.page.click("[data-do=logout]")
    me.page.click(".ask [data-answer='1']")
    me.page.wait_for_selector("#login")
    assert "1 项其他账号未上传的记录" in me.page.inner_text("main")  # kept, not deleted
    context.set_offline(False)
    me.sign_in()
    me.wait_unsent("未上传 0")
    assert fa.stored(field.app.state.engine)["cases"][ids[0]]["visits"] == 1
    context.close()


def test_one_case_is_open_in_one_tab_only(field: fa.Field, playwright: Any) -> None:
    ids = fa.seed_cases(field.app, ["women"])
    field.served.start()
    context = fa.launch(playwright, field.profile)
    first = fa.Collector(context.pages[0], field.url)
    first.open_app()
    first.sign_in()
    first.case(ids[0])
    second = fa.Collector(context.new_page(), field.url)
    second.open_app()
    second.case(ids[0])
    assert "已在另一个标签页中打开" in second.page.inner_text("h1")
    assert second.page.locator("[data-form]").count() == 0  # nothing to write twice
    first.page.goto(f"{field.url}/field/#/")  # the first tab leaves the case
    first.page.wait_for_selector("ul.cases")
    second.page.click("[data-do=retry]")
    second.page.wait_for_selector("[data-form=visit]")
    context.close()


def test_rejected_updates_stay_on_the_case_and_are_never_resent(field: fa.Field, playwright: Any) -> None:
    """A case the supervisor closed meanwhile answers 409 to the device's visit and closing; an update the
    server cannot read answers 422. Both are shown on the case, counted as 退回, kept, and never sent again."""
    ids = fa.seed_cases(field.app, ["women", "women"])
    field.served.start()
    context = fa.launch(playwright, field.profile)
    me = fa.Collector(context.pages[0], field.url)
    me.open_app()
    me.sign_in()
    context.set_offline(True)
    me.case(ids[0])
    me.visit("no_contact")
    me.close_case("2.22")
    me.case(ids[1])
    me.visit("appointment")
    me.page.evaluate("""(id) => CunshengStore.all('outbox').then(items => {
        const item = items.find(o => o.case === id);
        item.body.result = 'teleported';
        return CunshengStore.put('outbox', item);
    })""", ids[1])
    fa.close_on_server(field.app, ids[0], "3.18")  # the supervisor closes the first case meanwhile
    context.set_offline(False)
    me.wait_unsent("未上传 0 · 退回 3")
    held = fa.stored(field.app.state.engine)
    assert held["cases"][ids[0]]["disposition"] == "3.18" and held["cases"][ids[0]]["visits"] == 0
    assert held["cases"][ids[1]]["visits"] == 0
    me.case(ids[0])
    assert sorted(me.page.locator(".rejected-item").evaluate_all("els => els.map(e => e.dataset.status)")) == ["409", "409"]
    me.case(ids[1])
    assert me.page.locator(".rejected-item").evaluate_all("els => els.map(e => e.dataset.status)") == ["422"]
    me.sync()
    assert fa.stored(field.app.state.engine) == held
    assert "退回 3" in me.page.inner_text("#unsent")
    context.close()


def test_an_update_waits_for_the_open_interview_which_keeps_its_questionnaire_version(
        database_url: str, tmp_path: Path, cheap_hashes: None, playwright: Any) -> None:
    """Mid-interview offline, a new questionnaire version is published and a new shell deployed: the app
    keeps the interview on the version it began with, offers the update only once no interview is open,
    and a case begun afterwards takes the new version. Reopened with items queued, it syncs by itself."""
    definitions = tmp_path / "definitions"
    shutil.copytree(BUNDLED, definitions)
    with fa.field_server(database_url, tmp_path, definitions) as field:
        ids = fa.seed_cases(field.app, ["women", "women"])
        field.served.start()
        context = fa.launch(playwright, field.profile)
        me = fa.Collector(context.pages[0], field.url)
        me.open_app()
        me.sign_in()
        me.worker_ready()
        context.set_offline(True)
        me.case(ids[0])
        me.respondent(1)
        me.start_interview()
        answers = me.interview(field.survey("women"), pages=2)
        women = definitions / "women.yaml"
        women.write_text(women.read_text(encoding="utf-8").replace("妇女发展满意度与需求调查", "妇女发展满意度与需求调查（修订）", 1),
                         encoding="utf-8")
        (field.shell / "app.css").write_text((field.shell / "app.css").read_text(encoding="utf-8") + "/* v2 */\n",
                                             encoding="utf-8")
        field.served.stop()
        field.served.start()  # version 2 of the questionnaire published, a new shell deployed
        context.set_offline(False)
        me.wait_unsent("未上传 0")  # the respondent went up; the bundle now names version 2
        me.page.reload()
        me.page.click("[data-banner=update]")
        assert "离开正在填写的问卷" in me.page.inner_text("#b-update")  # not while an interview is open
        me.interview(field.survey("women"), answers=answers)
        me.back_to_case()
        me.wait_unsent("未上传 0")  # the interview went up at once: nothing to warn about
        version = me.page.get_attribute("body", "data-version")
        me.page.click("[data-banner=update]")
        me.page.wait_for_function("(v) => document.body.dataset.version !== v", arg=version)
        me.case(ids[1])
        me.respondent(1)
        me.start_interview()
        me.interview(field.survey("women"))
        context.close()  # closed with the interview queued, opened again online: it syncs on opening
        context = fa.launch(playwright, field.profile)
        me = fa.Collector(context.pages[0], field.url)
        me.open_app()
        me.wait_unsent("未上传 0")
        held = fa.stored(field.app.state.engine)
        first, second = (held["cases"][i]["instance_id"] for i in ids)
        assert (held["versions"][first], held["versions"][second]) == (1, 2)
        context.close()
