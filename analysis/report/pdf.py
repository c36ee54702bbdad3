"""The report printed to PDF by headless Debian chromium (`chromium --headless --print-to-pdf`).

The page's own print CSS decides the paper (A4), margins, page breaks and page numbers; chromium's
header and footer (URL, date) are turned off. The HTML is written to a private temporary folder with
chromium's profile beside it, so runs never share state, and the finished PDF is moved into place
only when chromium succeeded: a failure leaves no file at `path`. The executable is `chromium` on
PATH, else /usr/bin/chromium (the Makefile's `chromium` target installs it); the browser tests find
and launch it the same way (`chromium_path`, `QUIET`). Must not change the HTML.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from analysis.errors import AnalysisError, E

TIMEOUT = 180  # seconds; a report of a few dozen pages prints in a few seconds
# what keeps chromium off the network and quiet (the browser tests launch it with these too)
QUIET = ("--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--disable-quic")
SWITCHES = ("--headless", "--no-sandbox", *QUIET, "--disable-dev-shm-usage", "--no-pdf-header-footer")


def chromium_path() -> str | None:
    """The chromium executable, or None when it is not installed."""
    found = shutil.which("chromium") or "/usr/bin/chromium"
    return found if Path(found).is_file() else None


def report_pdf(html: str, path: Path) -> Path:
    """Print `html` to the PDF file `path` (replaced if it exists); raises AnalysisError on failure."""
    executable = chromium_path()
    if executable is None:
        raise AnalysisError(E.REPORT_CHROMIUM)
    with tempfile.TemporaryDirectory(prefix="cunsheng-report-") as folder:
        page, out = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [executable, *SWITCHES, f"--user-data-dir={Path(folder) / 'profile'}", f"--print-to-pdf={out}",
                   page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise AnalysisError(E.REPORT_PDF, reason=f"超过 {TIMEOUT} 秒 / more than {TIMEOUT} s") from None
        if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            raise AnalysisError(E.REPORT_PDF, reason=last[:200])
        shutil.move(out, path)
    return path
