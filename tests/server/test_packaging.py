"""A built wheel installs and serves anywhere: pages, questionnaires, CSS and API docs all come from
the installed package, and local state goes to the current directory's `instance/`.

How: copy the source tree (without .git, .venv or build output) to a temporary folder, build a wheel
there with `pip wheel --no-deps --no-build-isolation` (setuptools is a test dependency, so no
network), create a new virtual environment and install the wheel into it with `--no-deps`. Its
dependencies come from this test venv's site-packages through a `.pth` file: Python appends the
listed folders to `sys.path` after the new venv's own site-packages and does not run the `.pth`
files inside them, so the editable install of the checkout is not active there. The test then
proves that `server`, `surveys`, `analysis`, the templates and the static folder are all imported
from the new venv, and runs `cunsheng serve` from a temporary directory outside the checkout.
A full dependency install from the registry would take minutes; this takes seconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from server.settings import ROOT
from tests.server.live import clean_env, free_port, serving
from tests.server.robot import VILLAGE, browser_csrf

pytestmark = pytest.mark.slow

BUILD_LEFTOVERS = shutil.ignore_patterns(".git", ".venv", "build", "dist", "instance", "*.egg-info", "__pycache__",
                                         ".*_cache", ".hypothesis")
IN_WHEEL = [
    "server/templates/layout.html", "server/templates/partials/macros.html", "server/static/app.css",
    "server/static/htmx-2.0.11.min.js", "server/static/swagger-ui-5.35.0/swagger-ui-bundle.js",
    "server/static/swagger-ui-5.35.0/LICENSE", "server/static/field/engine.js", "server/static/field/index.html",
    "server/static/field/sw.js", "server/static/field/icon-512.png", "surveys/definitions/women.yaml",
    "surveys/data/indicators.csv", "surveys/definitions/indicators/women.yaml",
    "server/data/county/units.csv", "server/data/county/population.csv", "server/migrations/env.py", "server/migrations/versions/0001_initial_schema.py",
    "analysis/report/templates/report.html",
]
WHERE = ("import json, sys, server, surveys, analysis, server.render as r; print(json.dumps({"
         "'modules': [server.__file__, surveys.__file__, analysis.__file__], "
         "'data': [str(r.TEMPLATES), str(r.STATIC)], 'path': sys.path}))")


def build_wheel(tmp: Path) -> Path:
    source = tmp / "src"
    shutil.copytree(ROOT, source, ignore=BUILD_LEFTOVERS)
    run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp / "dist")], tmp)
    (wheel,) = (tmp / "dist").glob("cunsheng-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    """A new venv with the wheel installed (no deps) and this venv's dependencies visible after it."""
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], venv.parent)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
         str(wheel)], venv.parent)
    site = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], venv.parent)
    paths = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (Path(site.strip()) / "zz_test_dependencies.pth").write_text("\n".join(paths) + "\n")
    return venv


def run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, env=clean_env(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_wheel_installs_and_serves_pages_from_the_installed_package(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [n for n in IN_WHEEL if n not in names] == []
    venv = install(wheel, tmp_path / "venv")
    work = tmp_path / "work"
    work.mkdir()

    where = json.loads(run([str(venv / "bin" / "python"), "-c", WHERE], work))
    for path in where["modules"] + where["data"]:
        assert Path(path).is_relative_to(venv), path  # the installed copy, not the checkout
    assert not any(Path(p).resolve() == ROOT for p in where["path"] if p)

    env = clean_env(CUNSHENG_DATABASE_URL=f"sqlite:///{tmp_path / 'served.db'}")
    with serving([str(venv / "bin" / "cunsheng"), "serve", "--port", str(free_port())], work, env) as url:
        with httpx.Client(base_url=url, follow_redirects=True, timeout=10) as http:
            home = http.get("/")
            assert home.status_code == 200 and 'href="/s/women"' in home.text
            intro = http.get("/s/women")
            assert intro.status_code == 200
            assert BeautifulSoup(intro.text, "html.parser").select_one("h1").text == "妇女发展满意度与需求调查"
            css = BeautifulSoup(intro.text, "html.parser").select_one("link[rel=stylesheet]")["href"]
            assert css.startswith("/static/app.css?v=")
            sheet = http.get(css)
            assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css")
            first = http.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(http)})
            assert first.status_code == 200 and "/s/women/p/" in str(first.url)
            assert BeautifulSoup(first.text, "html.parser").select("fieldset[id^=q-]")
            assert "swagger-ui-bundle.js" in http.get("/api/docs").text
            worker = http.get("/field/sw.js").text  # the offline field app and every file its worker caches
            files = json.loads(worker.split(" = ", 1)[1].split(";\n", 1)[0])["files"]
            assert all(http.get(f).status_code == 200 for f in files) and "/field/" in files
    assert (work / "instance" / "secret_key").is_file()  # local state under the current directory
