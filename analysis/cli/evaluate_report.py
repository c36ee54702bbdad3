"""`cunsheng evaluate --report DIR`: the report pack of one run, from what the files say.

The folder is checked before anything is estimated (an existing file, or a path through a file, is
`report.folder`); `write_pack` builds every file in a temporary folder and moves them in only at the
end, so a bad input leaves nothing behind. The methods appendix is what a file-based run knows: the
design file (its columns, or its replicate weights), the variance method that follows from it, the
software version, the suppression rule, the baseline's year. Must not print.
"""

from __future__ import annotations

import argparse
import importlib.metadata
from collections.abc import Callable, Sequence
from pathlib import Path

from analysis.design.spec import Design
from analysis.errors import AnalysisError, E
from analysis.evaluation.evaluate import Evaluation
from analysis.io.jsonfile import read_json
from analysis.report.inputs import Definition, Methods
from analysis.report.methods import SUPPRESSION_RULE
from analysis.report.pack import write_pack
from surveys.indicator_defs.model import IndicatorSet

Describe = Callable[[IndicatorSet], Sequence[Definition]]


def check_folder(folder: Path) -> None:
    """Refuse a report folder that is a file or lies under one (before any work is done)."""
    for place in (folder, *folder.parents):
        if place.exists():
            if not place.is_dir():
                raise AnalysisError(E.REPORT_FOLDER, path=str(folder))
            return


def software() -> str:
    """The software line of the methods appendix."""
    return f"cunsheng {importlib.metadata.version('cunsheng')}"


def variance_of(design: Design) -> str:
    """How standard errors were estimated, in the words of the appendix."""
    if design.replicate is not None:
        return f"重复权数法（{design.replicate.type}），按设计文件给出的重复权数计算方差。"
    if not design.ids:
        return "泰勒线性化，按简单随机抽样（未给出初级抽样单位）。"
    return "泰勒线性化，以设计文件的初级抽样单位和层计算方差（有放回近似）；比例的置信区间按指标的 ci_method。"


def design_of(path: Path, design: Design) -> str:
    """The design file in one sentence: its name and the columns of each role."""
    roles: dict[str, list[str]] = {}
    for column, role in design.columns().items():
        roles.setdefault(role, []).append(f"`{column}`")
    parts = "；".join(f"{role}：{'、'.join(columns[:3])}{' 等' if len(columns) > 3 else ''}"
                     for role, columns in roles.items())
    return f"按设计文件 {path.name} 估计（{parts}）。" if parts else f"按设计文件 {path.name} 估计。"


def write_report(result: Evaluation, definitions: Sequence[Definition], args: argparse.Namespace,
                 baseline_year: int | None, folder: Path) -> None:
    """Write the pack of this run (`args` as parsed) into `folder`."""
    design = Design.from_json(read_json(Path(args.design)))
    baseline = f"{baseline_year} 年（{Path(args.baseline).name}）" if baseline_year is not None else ""
    methods = Methods(title=f"{result.year} 年妇女儿童发展规划指标评估报告", wave=Path(args.data).name,
                      year=result.year, unit="", design=design_of(Path(args.design), design),
                      variance=variance_of(design), software=software(), suppression=SUPPRESSION_RULE,
                      baseline=baseline)
    write_pack(result.document(), definitions, methods, folder)
