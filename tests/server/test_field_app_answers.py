"""Answers entered offline in the field app and synced equal, field by field, what the same answers give
through the online pages (issue 14, acceptance 3): the same collector interviews two cases of one
questionnaire, one through the console's phone pages (plain form posts, as the Robot answers them),
one in the app offline (tapping the same values into the same fields), for a questionnaire with every
question kind, skip logic on and between pages, a constraint, special codes and a sensitive module,
and for the bundled women's questionnaire."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from tests.conftest import BUNDLED
from tests.server import fieldappkit as fa
from tests.server.robot import Robot
from tests.server.staffkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.offline]
KINDS_YAML = """\
name: kinds
title: 题型检验问卷
minutes: 5
intro: 用于检验离线应用与在线页面得到相同的答案。
helplines:
  - {number: "12338", label: 妇女维权公益服务热线}
special_codes:
  dont_know: {code: -8, label: 不知道}
  refuse: {code: -9, label: 不愿回答}
choice_lists:
  yes_no:
    - {code: 1, label: 是}
    - {code: 2, label: 否}
pages:
  - name: p_one
    title: 第一部分
    intro: 每种题型各一道。
    constraints:
      - check: "kids_small <= kids"
        message: 3岁以下孩子的人数不能多于孩子总数，请检查。
        question: kids_small
    questions:
      - {name: intro_note, kind: note, label: 下面的问题请如实回答。}
      - {name: has_job, kind: single, label: 您现在有工作吗？, choices: yes_no}
      - {name: job_hours, kind: duration, label: 每天工作多长时间？, max: 960, show_if: "has_job == 1", special: [dont_know]}
      - {name: kids, kind: integer, label: 孩子几个？, min: 0, max: 20, unit: 个, special: [dont_know]}
      - {name: kids_small, kind: integer, label: 其中3岁以下几个？, min: 0, max: 20, unit: 个, required: false}
      - {name: income, kind: decimal, label: 月收入（千元）, min: 0, max: 1000, decimals: 1, unit: 千元, special: [refuse]}
      - name: needs
        kind: multiple
        label: 您需要哪些服务？
        exclusive: [9]
        max_choices: 2
        choices:
          - {code: 1, label: 托育}
          - {code: 2, label: 就业培训}
          - {code: 3, label: 法律援助}
          - {code: 9, label: 都不需要}
  - name: p_two
    title: 第二部分
    show_if: "not selected(needs, 9)"
    questions:
      - {name: born, kind: date, label: 最小的孩子哪天出生？, min: "2000-01-01", max: today, special: [dont_know]}
      - name: top
        kind: ranking
        label: 最需要的两项，按顺序
        top: 2
        choices:
          - {code: 1, label: 托育}
          - {code: 2, label: 就业培训}
          - {code: 3, label: 法律援助}
      - name: sat
        kind: matrix
        label: 您对下面的服务满意吗？
        choices: yes_no
        special: [dont_know]
        rows:
          - {name: sat_a, label: 托育}
          - {name: sat_b, label: 培训}
          - {name: sat_c, label: 法律援助}
  - name: p_three
    title: 安全
    sensitive: true
    questions:
      - {name: safe, kind: single, label: 您在家里觉得安全吗？, choices: yes_no, required: false, special: [refuse]}
      - {name: say, kind: text, label: 还有什么建议？, max_length: 100, required: false}
"""
ANSWER_SETS = [
    ("kinds", {"has_job": 1, "job_hours": 150, "kids": 2, "kids_small": 1, "income": 12.5, "needs": [1, 3],
               "born": "2019-05-01", "top": [3, 1], "sat_b": -8, "safe": -9, "say": "希望多组织亲子活动"}),
    ("kinds", {"has_job": 2, "kids": -8, "income": -9, "needs": [9]}),  # p_two skipped, specials, an optional left out
    ("women", {"age": 41, "marital": 2}),
]


@pytest.fixture
def field(database_url: str, tmp_path: Path, cheap_hashes: None) -> Iterator[fa.Field]:
    definitions = tmp_path / "definitions"
    shutil.copytree(BUNDLED, definitions)
    (definitions / "kinds.yaml").write_text(KINDS_YAML, encoding="utf-8")
    with fa.field_server(database_url, tmp_path, definitions) as served:
        yield served


def _csrf(html: str) -> str:
    return str(BeautifulSoup(html, "html.parser").select_one("input[name=csrf]")["value"])


def _online(field: fa.Field, case_id: int, survey: Any, overrides: dict[str, Any]) -> None:
    """The collector signs in to the console, selects the respondent and interviews through the phone pages."""
    with httpx.Client(base_url=field.url, follow_redirects=True, timeout=20) as http:
        login = http.get("/login")
        assert http.post("/login", data={"username": fa.COLLECTOR, "password": PASSWORD, "csrf": _csrf(login.text)},
                         follow_redirects=False).status_code == 303
        page = http.get(f"/console/cases/{case_id}")
        assert http.post(f"/console/cases/{case_id}/respondent", data={"csrf": _csrf(page.text), "eligible": "1"}).status_code == 200
        first = http.post(f"/console/cases/{case_id}/interview", data={"csrf": _csrf(http.get(f"/console/cases/{case_id}").text)})
        Robot(http, survey, overrides).walk(first)


@pytest.mark.parametrize("survey_name, overrides", ANSWER_SETS, ids=["every-kind", "specials-and-skips", "women"])
def test_offline_answers_equal_the_online_pages_answers(field: fa.Field, playwright: Any, survey_name: str,
                                                         overrides: dict[str, Any]) -> None:
    online_case, offline_case = fa.seed_cases(field.app, [survey_name, survey_name])
    survey = field.survey(survey_name)
    field.served.start()
    _online(field, online_case, survey, overrides)
    context = fa.launch(playwright, field.profile)
    me = fa.Collector(context.pages[0], field.url)
    me.open_app()
    me.sign_in()
    me.worker_ready()
    context.set_offline(True)
    me.case(offline_case)
    me.respondent(1)
    me.start_interview()
    me.interview(survey, overrides)
    context.set_offline(False)
    me.wait_unsent("未上传 0")
    context.close()
    held = fa.stored(field.app.state.engine)
    online = held["responses"][held["cases"][online_case]["instance_id"]]
    offline = held["responses"][held["cases"][offline_case]["instance_id"]]
    assert sorted(offline) == sorted(online)
    for variable, value in online.items():
        assert (variable, offline[variable]) == (variable, value)
    assert {k: v for k, v in overrides.items() if k in online} == {k: online[k] for k in overrides if k in online}


def test_a_sensitive_module_offline_offers_the_quick_exit_and_its_help_lines(field: fa.Field, playwright: Any) -> None:
    (case,) = fa.seed_cases(field.app, ["kinds"])
    field.served.start()
    context = fa.launch(playwright, field.profile)
    me = fa.Collector(context.pages[0], field.url)
    me.open_app()
    me.sign_in()
    context.set_offline(True)
    me.case(case)
    me.respondent(1)
    me.start_interview()
    me.interview(field.survey("kinds"), {"has_job": 2, "needs": [9]}, pages=1)  # p_two's filter leaves it out
    assert me.current_page() == "p_three" and "第 2 / 2 页" in me.page.inner_text(".pageno")
    assert "任何问题都可以不回答" in me.page.inner_text(".notice")
    assert "12338" in me.page.inner_text(".helplines") and me.page.get_attribute(".helplines a", "href") == "tel:12338"
    me.put("safe", ["-9"])
    me.page.click(".notice a.exit")
    me.page.wait_for_selector("text=生活小贴士")
    assert not me.page.is_visible(".field-top") and "题型" not in me.page.inner_text("body")  # nothing of the survey
    me.page.go_back()
    assert me.current_page() is None  # Back does not bring the sensitive page back
    me.case(case)
    me.start_interview()  # 继续访问: where she left, with what she tapped
    assert me.current_page() == "p_three" and me.page.is_checked("[name=safe][value='-9']")
    assert me.errors == []
    context.close()
