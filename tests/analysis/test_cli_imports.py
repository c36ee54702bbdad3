"""`cunsheng estimate` stays lean: after a real estimate, no web, database or statsmodels module is loaded.

Run in a fresh interpreter, since the test session itself has imported the server. On the Parquet
path pandas is not loaded either (pyarrow's `to_numpy()` would pull it in; columns are read from
their buffers).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

FORBIDDEN = ("fastapi", "starlette", "sqlmodel", "sqlalchemy", "statsmodels", "server")

PROBE = """
import json, sys
import analysis.cli.estimate
status = analysis.cli.estimate.main(sys.argv[1:])
print(json.dumps({"status": status, "modules": sorted(m.split(".")[0] for m in sys.modules)}))
"""


def loaded_after_estimate(*argv: str) -> tuple[int, set[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["status"], set(result["modules"])


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    frame = pd.DataFrame(
        {
            "stratum": [1, 1, 1, 1, 2, 2, 2, 2],
            "psu": [1, 1, 2, 2, 3, 3, 4, 4],
            "w": [10.0, 10, 12, 12, 8, 8, 9, 9],
            "g": list("abababab"),
            "y": [1.0, 0, 1, 1, 0, 0, 1, 0],
        }
    )
    csv, parquet, design = tmp_path / "d.csv", tmp_path / "d.parquet", tmp_path / "design.json"
    frame.to_csv(csv, index=False)
    frame.to_parquet(parquet)
    design.write_text(json.dumps({"ids": ["psu"], "strata": "stratum", "weights": "w"}), encoding="utf-8")
    return csv, parquet, design


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_estimate_loads_no_web_database_or_statsmodels_module(kind: str, files: tuple[Path, Path, Path]) -> None:
    csv, parquet, design = files
    data = csv if kind == "csv" else parquet
    status, modules = loaded_after_estimate(
        str(data), "--design", str(design), "--stat", "prop", "--var", "y", "--by", "g", "--json"
    )
    assert status == 0
    assert sorted(modules & set(FORBIDDEN)) == []
    if kind == "parquet":
        assert "pandas" not in modules
