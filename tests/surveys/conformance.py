"""The conformance cases (tests/conformance/cases.json) through both engines, and what they cover.

The Python engine is the server's own code (surveys.answers); the browser's is static/field/engine.js,
run under node by tests/conformance/run.js on the definitions as `definition_dict` serves them. What
the cases must cover is read from the code: the kind table, the condition language's operator table
and node tags, and the answer messages the validation of a page can produce.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from surveys import answers as answers_module
from surveys.answers import ends_after, next_page, page_errors, page_shown, shown_questions
from surveys.compiler import compile_text
from surveys.errors import AnswerErr
from surveys.export import definition_dict
from surveys.expr import COMPARISONS, FUNCTIONS, NODES
from surveys.kinds import KINDS, kind_of
from surveys.kinds import forms as forms_module
from surveys.model import Page, Question, Survey

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "tests" / "conformance"
NODE = shutil.which("node") or "/usr/bin/node"  # `make node` installs Debian's when missing
PROBE = "probe"  # the page a condition case appends, with the case's expression as its show_if

Case = dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """One case through the Python engine: its result, and the catalogue codes of the messages it gave."""

    result: Any
    codes: frozenset[str] = frozenset()


def load() -> dict[str, Any]:
    """The conformance file, parsed."""
    return json.loads((FOLDER / "cases.json").read_text(encoding="utf-8"))


def definition(doc: Mapping[str, Any], case: Case) -> dict[str, Any]:
    """The definition a case runs on: the base with a named definition's pages or one page of inline questions."""
    pages = doc["definitions"][case["definition"]]["pages"] if "definition" in case else [
        {"name": "p1", "title": "第一页", "questions": case["questions"]}]
    if case["type"] == "condition":
        pages = [*pages, {"name": PROBE, "title": "条件", "show_if": case["expression"],
                          "questions": [{"name": "probe_note", "kind": "note", "label": "条件成立时显示"}]}]
    return {**doc["base"], "pages": pages}


@cache
def _compile(key: str) -> Survey:
    # Written as YAML: YAML 1.1 floats need a dot, so JSON's 1e-05 would read as text.
    return compile_text(yaml.safe_dump(json.loads(key), allow_unicode=True).encode(), "conformance.yaml")


def compiled(doc: Mapping[str, Any], case: Case) -> Survey:
    """The case's definition, compiled (once per distinct definition)."""
    return _compile(json.dumps(definition(doc, case), ensure_ascii=False, sort_keys=True))


def served(survey: Survey) -> dict[str, Any]:
    """What GET /api/v1/surveys/{survey} answers for it."""
    return {"version": 1, **definition_dict(survey)}


def specials(survey: Survey) -> dict[str, list[int]]:
    """The special codes by variable, as a condition's environment has them."""
    return {var: sorted(codes) for var, codes in survey.special_codes_of().items()}


def expected(case: Case) -> Any:
    """The case's expected result, `{today}` in a message standing for today's date."""
    today = dt.date.today().isoformat()

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{today}", today)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    return fill(case["expected"])


def run_python(doc: Mapping[str, Any], case: Case) -> Outcome:
    """One case through the server's engine."""
    survey = compiled(doc, case)
    answers = case["answers"]
    kind = case["type"]
    if kind == "condition":
        return Outcome(page_shown(survey, survey.pages[-1], answers))
    if kind == "validate":
        question = survey.question_of(case["name"])
        if question is None:
            return Outcome(None)
        page = survey.pages[survey.page_index(question.page)]
        problem = page_errors(survey, page, {**answers, case["name"]: case["value"]}).get(case["name"])
        return Outcome(problem.message, frozenset({problem.code})) if problem else Outcome(None)
    page = survey.page(case["from"] if kind == "next" else case["page"])
    if kind == "page":
        errors = page_errors(survey, page, answers)
        return Outcome({k: v.message for k, v in errors.items()}, frozenset(v.code for v in errors.values()))
    if kind == "visible":
        return Outcome([q.name for q in shown_questions(survey, page, answers)])
    walk = python_pages(survey, answers)
    return Outcome(walk["next"][page.name] if page else walk["first"])


def run_node(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every case through engine.js: case id -> {"result": …} or {"error": …}."""
    definitions: dict[str, Any] = {}
    special: dict[str, Any] = {}
    keys: dict[str, str] = {}
    for case in doc["cases"]:
        survey = compiled(doc, case)
        definitions[survey.sha256] = served(survey)
        special[survey.sha256] = specials(survey)
        keys[case["id"]] = survey.sha256
    return _node([], {"definitions": definitions, "specials": special, "cases": keys})


def node_trees(trees: list[Any], special: Mapping[str, list[int]], answer_sets: list[dict[str, Any]]) -> list[list[bool]]:
    """engine.evaluate of every tree on every answer set (one row per tree)."""
    return _node(["--trees"], {"trees": trees, "specials": special, "answers": answer_sets})


def node_pages(served_definition: Mapping[str, Any], answer_sets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per answer set: engine.js's messages, visible questions and next page of every page, and the first page."""
    return _node(["--pages"], {"definition": served_definition, "answers": answer_sets})


def python_pages(survey: Survey, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The same through the server's engine."""
    def after(page: Page) -> dict[str, Any]:  # as surveys.flow.step decides after a valid page
        if ends_after(survey, page, answers):
            return {"end": page.end_message}
        following = next_page(survey, page.name, answers)
        return {"page": following.name} if following else {"done": True}

    first = next_page(survey, None, answers)
    return {"errors": {p.name: {k: v.message for k, v in page_errors(survey, p, answers).items()} for p in survey.pages},
            "visible": {p.name: [q.name for q in shown_questions(survey, p, answers)] for p in survey.pages},
            "next": {p.name: after(p) for p in survey.pages},
            "first": {"page": first.name} if first else {"done": True}}


def _node(flags: list[str], data: Any) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.json"
        path.write_text(json.dumps(data, ensure_ascii=False, allow_nan=False), encoding="utf-8")
        done = subprocess.run([NODE, str(FOLDER / "run.js"), *flags, str(path)], capture_output=True, text=True,
                              check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --- what the cases must cover, read from the code ----------------------------------------------------------


def _entries_named(tree: ast.AST) -> set[str]:
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == "AnswerErr"}


def page_messages() -> set[str]:
    """The codes of the answer messages that checking a page can give: every AnswerErr entry except those
    only reading a form post gives (surveys/kinds/forms.py: the browser reads its own controls) and those
    only a whole response's check gives (answers.check_response: unknown question, not asked)."""
    forms = _entries_named(ast.parse(Path(forms_module.__file__).read_text(encoding="utf-8")))
    module = ast.parse(Path(answers_module.__file__).read_text(encoding="utf-8"))
    whole = next(n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == "check_response")
    return {e.code for e in AnswerErr if e.name not in forms | _entries_named(whole)}


def _trees(node: Any) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("and") or node.get("or") or node.get("args") or []:
        yield from _trees(child)
    if "not" in node:
        yield from _trees(node["not"])


def _question_named(survey: Survey, name: str) -> Question | None:
    return survey.question_of(name) or next((q for q in survey.questions() if q.name == name), None)


def missing(doc: Mapping[str, Any], cases: list[Case], outcomes: Mapping[str, Outcome]) -> list[str]:
    """What the cases leave uncovered: kinds, ways a condition reads a kind, operators, node tags,
    functions, chained comparisons and page messages."""
    kinds: set[str] = set()
    uses: set[tuple[str, str]] = set()
    nodes: list[dict[str, Any]] = []
    for case in cases:
        survey = compiled(doc, case)
        if case["type"] == "validate" and (q := _question_named(survey, case["name"])) is not None:
            kinds.add(q.kind)
        if case["type"] == "condition" and (cond := survey.pages[-1].show_if) is not None:
            nodes.extend(_trees(cond.tree))
            uses.update((kind_of(q).name, how) for how, ref in cond.uses if (q := _question_named(survey, ref)))
    codes = set().union(*(outcomes[c["id"]].codes for c in cases))
    symbols = {s for n in nodes for s in n.get("cmp", ())}
    out = [f"kind {k} (validation)" for k in sorted(set(KINDS) - kinds)]
    out += [f"kind {k} read by {how}()" if how != "compare" else f"kind {k} compared"
            for k, how in sorted({(k.name, u) for k in KINDS.values() for u in k.uses} - uses)]
    out += [f"operator {s}" for s, _ in COMPARISONS.values() if s not in symbols]
    out += [f"node {tag}" for tag in NODES if not any(tag in n for n in nodes)]
    out += [f"function {f}()" for f in FUNCTIONS if not any(n.get("fn") == f for n in nodes)]
    out += [] if any(len(n.get("cmp", ())) > 1 for n in nodes) else ["chained comparison"]
    out += [f"message {code}" for code in sorted(page_messages() - codes)]
    return out


def integral_floats(value: Any, path: str = "") -> list[str]:
    """Paths of numbers written as integral floats (3.0, 1e22): a browser's JSON.parse reads them as integers."""
    if isinstance(value, float) and value.is_integer():
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in integral_floats(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in integral_floats(v, f"{path}[{i}]")]
    return []
