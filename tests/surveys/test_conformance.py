"""One questionnaire, two engines, one conformance suite: every case of tests/conformance/cases.json gives
its expected result in the server's engine and in the browser's (static/field/engine.js under node), the
cases cover every kind, operator and page message (read from the code), and on the bundled questionnaires
the two engines agree on every condition, and on every page's messages, visible questions and next page,
for a few hundred random answer sets (seeded). The engine loads as a classic script and in node."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from surveys.answers import make_env
from surveys.compiler import compile_file
from surveys.export import definition_dict
from surveys.expr import Condition, compile_condition
from surveys.model import Question, Survey
from tests.surveys import conformance

DOC = conformance.load()
CASES = DOC["cases"]
BUNDLED = sorted((conformance.ROOT / "surveys" / "definitions").glob("*.yaml"))


def test_the_file_has_at_least_150_cases_with_unique_ids() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 150 and len(set(ids)) == len(ids)


def test_every_case_gives_its_expected_result_in_the_python_engine() -> None:
    wrong = [c["id"] for c in CASES if conformance.run_python(DOC, c).result != conformance.expected(c)]
    assert wrong == []


def test_every_case_gives_its_expected_result_in_the_browser_engine() -> None:
    results = conformance.run_node(DOC)
    wrong = {c["id"]: results[c["id"]] for c in CASES if results[c["id"]] != {"result": conformance.expected(c)}}
    assert wrong == {}


@pytest.fixture(scope="module")
def outcomes() -> dict[str, conformance.Outcome]:
    return {c["id"]: conformance.run_python(DOC, c) for c in CASES}


def test_the_cases_cover_every_kind_operator_function_and_page_message(outcomes: dict[str, Any]) -> None:
    assert conformance.missing(DOC, CASES, outcomes) == []


@pytest.mark.parametrize("dropped, reported", [
    (lambda c: "<=" in c.get("expression", ""), "operator <="),
    (lambda c: "count(" in c.get("expression", ""), "function count()"),
    (lambda c: "selected(rank" in c.get("expression", ""), "kind ranking read by selected()"),
    (lambda c: c["type"] == "validate" and c["id"].startswith("val.date."), "kind date (validation)"),
    (lambda c: "chain" in c["id"], "chained comparison"),
    (lambda c: "too.few" in c["id"], "message answer.too_few"),
    (lambda c: c["id"].startswith("page.constraint"), "message answer.constraint"),
])
def test_the_coverage_check_names_what_the_cases_leave_out(dropped: Any, reported: str,
                                                         outcomes: dict[str, Any]) -> None:
    kept = [c for c in CASES if not dropped(c)]
    assert reported in conformance.missing(DOC, kept, outcomes)


def test_page_messages_are_read_from_the_catalogue_and_the_code() -> None:
    messages = conformance.page_messages()
    assert {"answer.required", "answer.row_required", "answer.constraint", "answer.date_range"} <= messages
    assert not messages & {"answer.form_choice", "answer.form_integer", "answer.not_asked", "answer.unknown_question"}


def test_no_number_in_the_cases_is_an_integral_float() -> None:
    assert conformance.integral_floats(DOC) == []
    assert conformance.integral_floats({"a": [1, 2.5, {"b": 3.0}]}) == [".a[2].b"]


# --- the bundled questionnaires ------------------------------------------------------------------------------


def conditions(survey: Survey) -> list[Condition]:
    """Every condition of a questionnaire: pages' show_if and end_if, questions' show_if, constraints' checks."""
    out: list[Condition | None] = []
    for page in survey.pages:
        out += [page.show_if, page.end_if, *(q.show_if for q in page.questions), *(c.check for c in page.constraints)]
    return [c for c in out if c is not None]


def served_conditions(served: dict[str, Any]) -> list[tuple[str, str | None, Any]]:
    """(where, text, tree) for every condition slot of a served definition that holds text or a tree."""
    slots: list[tuple[str, Any, str]] = []
    for page in served["pages"]:
        slots += [(page["name"], page, "show_if"), (page["name"], page, "end_if")]
        slots += [(q["name"], q, "show_if") for q in page["questions"]]
        slots += [(f"{page['name']} constraint", c, "check") for c in page["constraints"]]
    return [(f"{where} {key}", item.get(key), item.get(key + "_tree")) for where, item, key in slots
            if item.get(key) is not None or item.get(key + "_tree") is not None]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_the_served_definition_carries_the_tree_of_every_condition(path: Path) -> None:
    survey = compile_file(path)
    served = json.loads(json.dumps(definition_dict(survey), allow_nan=False))
    found = served_conditions(served)
    assert len(found) == len(conditions(survey)) > 0
    wrong = [where for where, text, tree in found if text is None or tree != compile_condition(text).tree]
    assert wrong == []


def test_a_served_condition_without_its_tree_is_reported() -> None:
    served = definition_dict(compile_file(BUNDLED[0]))
    page = next(p for p in served["pages"] if p["end_if"])
    del page["end_if_tree"]
    assert any(tree is None for _, _, tree in served_conditions(served))


def candidates(q: Question, rng: np.random.Generator) -> list[Any]:
    """Plausible and implausible answers to one variable of `q`: missing, empty, special codes, its codes,
    numbers around its bounds, lists of codes, text, a date, a boolean."""
    codes = [c.code for c in q.choices]
    low = q.min if isinstance(q.min, int | float) else -3
    high = q.max if isinstance(q.max, int | float) else 30
    number = int(rng.integers(int(low) - 2, int(high) + 3))
    fraction = float(rng.uniform(low - 1, high + 1)) // 0.1 * 0.1 + 0.05  # never integral
    subset = [int(c) for c in rng.permutation(codes)[: int(rng.integers(0, 4))]] if codes else []
    return [None, "", [], *sorted(q.special_codes), *codes, number, number, fraction, subset, subset,
            "2015-06-01", "文字", True, [[1]] if codes else number]


def random_answers(survey: Survey, rng: np.random.Generator, count: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(count):
        answers = {}
        for q in survey.questions():
            for var in q.variables:
                if rng.random() < 0.85:
                    pool = candidates(q, rng)
                    answers[var] = pool[int(rng.integers(0, len(pool)))]
        out.append(answers)
    return out


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_both_engines_agree_on_every_condition_of_a_bundled_questionnaire(path: Path) -> None:
    survey = compile_file(path)
    answer_sets = random_answers(survey, np.random.default_rng(20240501), 300)
    found = conditions(survey)
    python = [[c(make_env(survey, a)) for a in answer_sets] for c in found]
    node = conformance.node_trees([c.tree for c in found], conformance.specials(survey), answer_sets)
    disagree = [(c.source, a) for c, p, n in zip(found, python, node, strict=True)
                for a, x, y in zip(answer_sets, p, n, strict=True) if x != y]
    assert disagree == []
    assert all(any(row) and not all(row) for row in python[:3])  # the answers reach both outcomes


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_both_engines_agree_on_every_page_of_a_bundled_questionnaire(path: Path) -> None:
    survey = compile_file(path)
    answer_sets = random_answers(survey, np.random.default_rng(20240502), 200)
    node = conformance.node_pages(definition_dict(survey), answer_sets)
    python = [conformance.python_pages(survey, a) for a in answer_sets]
    disagree = [(a, p, n) for a, p, n in zip(answer_sets, python, node, strict=True) if p != n]
    assert disagree == []
    assert {key for p in python for step in p["next"].values() for key in step} == {"end", "page", "done"}
    assert {bool(errors) for p in python for errors in p["errors"].values()} == {True, False}


# --- the engine file itself ---------------------------------------------------------------------------------

ENGINE = conformance.ROOT / "static" / "field" / "engine.js"
API = ["evaluate", "firstPage", "nextPage", "validatePage", "validateQuestion", "visibleQuestions"]
LOADS = """
const fs = require("fs"), vm = require("vm");
const source = fs.readFileSync(process.argv[1], "utf8");
const page = {self: {}};
vm.runInNewContext(source, page);  // a classic <script>: no module, no require
const required = require(process.argv[1]);
console.log(JSON.stringify([Object.keys(page.self.CunshengEngine).sort(), Object.keys(required).sort(),
                            Object.keys(page.self).length]));
"""


def test_the_engine_loads_as_a_classic_script_and_as_a_node_module_with_exactly_its_api() -> None:
    done = subprocess.run([conformance.NODE, "-e", LOADS, str(ENGINE)], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [API, API, 1]


def test_the_engine_stays_small() -> None:
    assert len(ENGINE.read_bytes()) < 15 * 1024
