"""The report pack written to a folder: report.html, report.pdf, report.xlsx and charts/<code>.svg, all
from one frame (`pack_frame`) of one `cunsheng evaluate --json` output.

Everything is built in a private temporary folder first and moved into `folder` only when every file
is made, so a bad input (an output that breaks its contract, an undefined code, a missing chromium)
leaves `folder` as it was; it is created when missing. The same names are replaced on a later run,
and charts/ is replaced whole so no chart of an earlier run is left behind. Must not estimate.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.errors import AnalysisError, E
from analysis.report.figures import indicator_charts
from analysis.report.frame import pack_frame
from analysis.report.html import report_html
from analysis.report.inputs import Definition, Methods
from analysis.report.pdf import report_pdf
from analysis.report.xlsx import report_xlsx

FILES = ("report.html", "report.pdf", "report.xlsx")
CHARTS = "charts"


@dataclass(frozen=True)
class Pack:
    """Where the pack's files are."""

    html: Path
    pdf: Path
    xlsx: Path
    charts: tuple[Path, ...]


def write_pack(output: Mapping[str, Any], definitions: Sequence[Definition], methods: Methods,
               folder: Path) -> Pack:
    """Write the report pack into `folder`; raises AnalysisError (and writes nothing) on bad input."""
    if folder.exists() and not folder.is_dir():
        raise AnalysisError(E.REPORT_FOLDER, path=str(folder))
    frame = pack_frame(output, definitions, methods)
    charts = indicator_charts(frame)
    with tempfile.TemporaryDirectory(prefix="cunsheng-pack-") as staging:
        stage = Path(staging)
        html = report_html(frame, methods, charts)
        (stage / "report.html").write_text(html, encoding="utf-8")
        report_pdf(html, stage / "report.pdf")
        report_xlsx(frame, methods, stage / "report.xlsx")
        (stage / CHARTS).mkdir()
        for code, svg in charts.items():
            (stage / CHARTS / f"{code}.svg").write_text(svg, encoding="utf-8")
        folder.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.move(stage / name, folder / name)
        shutil.rmtree(folder / CHARTS, ignore_errors=True)
        shutil.move(stage / CHARTS, folder / CHARTS)
    return Pack(folder / "report.html", folder / "report.pdf", folder / "report.xlsx",
                tuple(folder / CHARTS / f"{code}.svg" for code in charts))
