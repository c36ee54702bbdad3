"""Reading a JSON spec file given on a command line (the design file, the weighting spec).

UTF-8 with or without BOM; a missing file, an unreadable one and invalid JSON (with its line and
column) are catalogue problems naming the file. Must not validate the content: each spec's model
does that.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analysis.errors import AnalysisError, E


def read_json(path: Path) -> Any:
    """The parsed content of a JSON file, or the AnalysisError that names what is wrong with it."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise AnalysisError(E.SPEC_FILE_MISSING, path=path) from None
    except (OSError, UnicodeDecodeError):
        raise AnalysisError(E.SPEC_FILE_UNREADABLE, path=path) from None
    except json.JSONDecodeError as exc:
        raise AnalysisError(E.SPEC_FILE_JSON, path=path, line=exc.lineno, column=exc.colno) from None
