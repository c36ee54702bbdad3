"""The questionnaires this server offers: definitions compiled once, published as versions.

At start every file in the definitions folder is compiled, checked against the versions already
published under its name (a kind may not change under a published name), stored when its sha256 is
new, and kept compiled in memory with every earlier version, so the API validates a response
against the exact version that collected it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

from server.store import versions
from surveys.compiler import check_against, compile_file, compile_text
from surveys.errors import DefinitionInvalid
from surveys.model import Survey


@dataclass(frozen=True)
class Published:
    """A compiled questionnaire with its stored version."""

    survey: Survey
    version_id: int
    number: int


@dataclass
class Catalog:
    current: dict[str, Published] = field(default_factory=dict)
    versions: dict[tuple[str, int], Published] = field(default_factory=dict)
    by_id: dict[int, Published] = field(default_factory=dict)

    def add(self, published: Published, current: bool) -> None:
        self.versions[(published.survey.name, published.number)] = published
        self.by_id[published.version_id] = published
        if current:
            self.current[published.survey.name] = published


def definition_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml"))


def _published(session: Session, name: str) -> dict[int, Published]:
    """Published versions of `name` by number, compiled from their stored text."""
    return {
        v.number: Published(compile_text(v.source.encode("utf-8"), f"{name} 第{v.number}版"), v.id or 0, v.number)
        for v in versions.published_versions(session, name)
    }


def check_files(session: Session | None, files: list[Path]) -> list[str]:
    """Compile files and check them against what is published; problem lines, empty when all is well."""
    lines: list[str] = []
    for path in files:
        try:
            survey = compile_file(path)
            if session is not None:
                check_against(survey, [p.survey for p in _published(session, survey.name).values()])
        except DefinitionInvalid as exc:
            lines.extend(str(f) for f in exc.findings)
    return lines


def load_catalog(session: Session, folder: Path) -> Catalog:
    """Compile, check, publish and load every definition; raise DefinitionInvalid on a bad file."""
    catalog = Catalog()
    for path in definition_files(folder):
        survey = compile_file(path)
        earlier = _published(session, survey.name)
        check_against(survey, [p.survey for p in earlier.values()])
        current = versions.publish_version(session, survey.name, survey.sha256, survey.title, survey.source)
        for number, published in earlier.items():
            if number != current.number:
                catalog.add(published, current=False)
        catalog.add(Published(survey, current.id or 0, current.number), current=True)
    return catalog


def read_catalog(session: Session, survey: str | None = None) -> Catalog:
    """Every published version (of one questionnaire, or all) compiled from its stored text, publishing
    nothing: for commands that only read, such as `cunsheng export`."""
    catalog = Catalog()
    names = sorted({v.survey for v in versions.published_versions(session, survey)})
    for name in names:
        published = _published(session, name)
        for number, pub in published.items():
            catalog.add(pub, current=number == max(published))
    return catalog
