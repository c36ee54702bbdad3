"""The questionnaires this server offers: definitions compiled once, published as versions.

At start every file in the definitions folder is compiled, checked against the versions already
published under its name (a kind may not change under a published name) and stored when its sha256
is new. Then every stored version (of the folder's questionnaires and of those published from the
console) is kept compiled in memory, so the API validates a response against the exact version that
collected it. A questionnaire's current version is its highest-numbered one: a definition published
from the console stays current after a restart whose folder still holds an older text.

The catalogue also keeps the office's state of each questionnaire (open or closed, its introduction
and contact line, `server.store.questionnaires`), so a respondent's page reads no table for them.

Several processes share one database: a version published (or a questionnaire closed) through one
of them reaches the others by `refresh`, which the request path runs at most every
`REFRESH_SECONDS` (see `server.deps.get_catalog`): one `max(id)` query and one read of the small
questionnaire table, compiling only versions it has not seen. The process that made the change
applies it at once (`publish`, `keep_state`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from server.store import questionnaires, versions
from server.store.questionnaires import Questionnaire
from server.store.versions import SurveyVersion
from surveys.compiler import check_against, compile_file, compile_text
from surveys.errors import DefinitionInvalid
from surveys.indicator_defs.compiler import bundled_questionnaires, is_indicator_file
from surveys.indicator_defs.compiler import compile_file as compile_indicators
from surveys.model import Survey

REFRESH_SECONDS = 2.0  # how stale another process's publish or close may be seen here


@dataclass(frozen=True)
class Published:
    """A compiled questionnaire with its stored version."""

    survey: Survey
    version_id: int
    number: int


@dataclass(frozen=True)
class State:
    """The office's state of a questionnaire (the defaults when it has stored none)."""

    is_open: bool = True
    intro: str = ""
    contact: str = ""

    @classmethod
    def of(cls, row: Questionnaire) -> State:
        return cls(row.is_open, row.intro, row.contact)


@dataclass
class Catalog:
    """Versions by name, by (name, number) and by id; each dict is replaced, never changed in place,
    so a request reading it while another thread refreshes sees one whole state or the next."""

    current: dict[str, Published] = field(default_factory=dict)
    versions: dict[tuple[str, int], Published] = field(default_factory=dict)
    by_id: dict[int, Published] = field(default_factory=dict)
    states: dict[str, State] = field(default_factory=dict)
    checked_at: float = 0.0  # the app clock's time of the last refresh

    def add(self, published: Published) -> None:
        """Keep a version; it becomes current when its number is the highest of its questionnaire."""
        name = published.survey.name
        self.versions = {**self.versions, (name, published.number): published}
        self.by_id = {**self.by_id, published.version_id: published}
        now = self.current.get(name)
        if now is None or published.number > now.number:
            self.current = {**self.current, name: published}

    def state(self, survey: str) -> State:
        return self.states.get(survey, State())

    def keep_state(self, row: Questionnaire) -> None:
        self.states = {**self.states, row.survey: State.of(row)}

    @property
    def last_id(self) -> int:
        return max(self.by_id, default=0)


def definition_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml"))


def _compiled(row: SurveyVersion) -> Published:
    return Published(compile_text(row.source.encode("utf-8"), f"{row.survey} 第{row.number}版"), row.id or 0, row.number)


def _published(session: Session, name: str) -> dict[int, Published]:
    """Published versions of `name` by number, compiled from their stored text."""
    return {v.number: _compiled(v) for v in versions.published_versions(session, name)}


def check_files(session: Session | None, files: list[Path]) -> list[str]:
    """Compile files and check them against what is published; problem lines, empty when all is well.
    Indicator files are compiled after the questionnaires, whose frames their `survey:` names (those
    of this run first, then the bundled ones)."""
    lines: list[str] = []
    compiled: dict[str, Survey] = {}
    indicator_paths = [path for path in files if is_indicator_file(path)]
    for path in files:
        if path in indicator_paths:
            continue
        try:
            survey = compile_file(path)
            compiled[survey.name] = survey
            if session is not None:
                check_against(survey, [p.survey for p in _published(session, survey.name).values()])
        except DefinitionInvalid as exc:
            lines.extend(str(f) for f in exc.findings)
    if indicator_paths:
        try:
            compiled = {**bundled_questionnaires(), **compiled}
        except DefinitionInvalid:  # a broken bundled questionnaire is reported when its own file is checked
            pass
    for path in indicator_paths:
        try:
            compile_indicators(path, compiled)
        except DefinitionInvalid as exc:
            lines.extend(str(f) for f in exc.findings)
    return lines


def load_catalog(session: Session, folder: Path) -> Catalog:
    """Compile, check and publish every definition of the folder, then load every stored version;
    raise DefinitionInvalid on a bad file."""
    compiled: dict[int, Survey] = {}
    for path in definition_files(folder):
        survey = compile_file(path)
        check_against(survey, [p.survey for p in _published(session, survey.name).values()])
        stored = versions.publish_version(session, survey.name, survey.sha256, survey.title, survey.source)
        compiled[stored.id or 0] = survey
    catalog = Catalog()
    for row in versions.published_versions(session):
        survey = compiled.get(row.id or 0)
        catalog.add(Published(survey, row.id or 0, row.number) if survey else _compiled(row))
    catalog.states = {name: State.of(row) for name, row in questionnaires.all_questionnaires(session).items()}
    return catalog


def refresh(session: Session, catalog: Catalog) -> None:
    """Take in what other processes stored: versions newer than the last one known, and the states."""
    last = session.exec(select(func.max(SurveyVersion.id))).one() or 0
    if last > catalog.last_id:
        for row in session.exec(select(SurveyVersion).where(SurveyVersion.id > catalog.last_id)
                                .order_by(SurveyVersion.id)):
            catalog.add(_compiled(row))
    catalog.states = {name: State.of(row) for name, row in questionnaires.all_questionnaires(session).items()}


def publish(session: Session, catalog: Catalog, data: bytes, file: str) -> tuple[Published, bool]:
    """Compile an uploaded definition, check it against every published version of its name and store
    it (flushed, not committed: the caller audits it, commits, then `catalog.add`s it); (version, True)
    when new, (the stored one, False) when this text is already published. Raises DefinitionInvalid."""
    survey = compile_text(data, file)
    earlier = [p for (name, _), p in catalog.versions.items() if name == survey.name]
    check_against(survey, [p.survey for p in earlier])
    known = next((p for p in earlier if p.survey.sha256 == survey.sha256), None)
    if known is not None:
        return known, False
    row = versions.add_version(session, survey.name, survey.sha256, survey.title, survey.source)
    return Published(survey, row.id or 0, row.number), True


def read_catalog(session: Session, survey: str | None = None) -> Catalog:
    """Every published version (of one questionnaire, or all) compiled from its stored text, publishing
    nothing: for commands that only read, such as `cunsheng export`."""
    catalog = Catalog()
    for row in versions.published_versions(session, survey):
        catalog.add(_compiled(row))
    return catalog
