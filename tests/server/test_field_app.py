"""The offline field app's files at /field/: the shell, its service worker (scope, headers, a cache name
that changes with any file it serves), the manifest and icons, the weight of the shell (HTML + CSS +
JS, gzip, at most 100 KB), no reference to another host, and a renderer row for every question kind."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from PIL import Image

from server.app import create_app
from server.render import STATIC
from surveys.kinds import KINDS

LIMIT = 100 * 1024
FIELD = STATIC / "field"


def worker_config(client: Any) -> dict[str, Any]:
    source = client.get("/field/sw.js").text
    match = re.match(r"self\.CUNSHENG_FIELD = (\{.*?\});\n", source)
    assert match, source[:200]
    return dict(json.loads(match.group(1)))


def wire_bytes(client: Any, url: str) -> int:
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status_code == 200, url
        return sum(len(chunk) for chunk in response.iter_raw())


def test_the_shell_is_served_at_field_with_its_scripts_and_the_shared_stylesheet(client: Any) -> None:
    page = client.get("/field/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"  # the worker is its cache; the network copy is the deployed one
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.html["lang"] == "zh-CN" and soup.select_one("#unsent") is not None
    scripts = [s["src"] for s in soup.select("script[src]")]
    assert scripts == ["/field/engine.js", "/field/form.js", "/field/store.js", "/field/app.js"]
    sheets = [link["href"] for link in soup.select("link[rel=stylesheet]")]
    assert re.fullmatch(r"/static/app\.css\?v=[0-9a-f]{10}", sheets[0]) and sheets[1] == "/field/app.css"
    assert soup.select_one("link[rel=manifest]")["href"] == "/field/manifest.webmanifest"
    assert soup.body["data-version"] == worker_config(client)["version"]
    redirect = client.get("/field", follow_redirects=False)
    assert redirect.status_code == 308 and redirect.headers["location"] == "/field/"


def test_the_service_worker_precaches_every_shell_file_under_a_versioned_cache(client: Any) -> None:
    worker = client.get("/field/sw.js")
    assert worker.status_code == 200 and worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["service-worker-allowed"] == "/field/" and worker.headers["cache-control"] == "no-cache"
    config = worker_config(client)
    assert re.fullmatch(r"[0-9a-f]{16}", config["version"])
    assert config["files"][0] == "/field/"
    for url in config["files"]:
        assert client.get(url).status_code == 200, url
    shell = BeautifulSoup(client.get("/field/").text, "html.parser")
    used = {s["src"] for s in shell.select("script[src]")} | {link["href"] for link in shell.select("link[href]")}
    assert used <= set(config["files"]), used - set(config["files"])  # offline, every file the shell loads is cached


def test_an_unknown_file_under_field_is_not_found(client: Any) -> None:
    for path in ("/field/nope.js", "/field/..%2Fapp.css", "/field/index.html"):
        answer = client.get(path)
        assert answer.status_code == 404 and "<!-- problem: not_found -->" in answer.text, path


def test_any_change_to_a_served_file_is_a_new_version(make_settings: Any, tmp_path: Path) -> None:
    folder = tmp_path / "field"
    shutil.copytree(FIELD, folder)
    app = create_app(make_settings().model_copy(update={"field_app_dir": folder}))
    try:
        with TestClient(app) as client:
            first = worker_config(client)
            for name in ("app.css", "index.html", "sw.js", "icon-192.png"):
                before = worker_config(client)["version"]
                (folder / name).write_bytes((folder / name).read_bytes() + b"\n")
                after = worker_config(client)
                assert after["version"] != before, name
                assert after["files"] == first["files"]
            assert client.get("/field/app.css").text.endswith("\n\n")  # the configured copy is what is served
    finally:
        app.state.engine.dispose()


def test_the_manifest_makes_an_installable_app_scoped_to_field(client: Any) -> None:
    answer = client.get("/field/manifest.webmanifest")
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert manifest["start_url"] == manifest["scope"] == "/field/" and manifest["display"] == "standalone"
    assert manifest["lang"] == "zh-CN" and "村声" in manifest["name"]
    sizes = set()
    for icon in manifest["icons"]:
        image = Image.open(io.BytesIO(client.get(icon["src"]).content))
        assert image.format == "PNG" and f"{image.width}x{image.height}" == icon["sizes"]
        sizes.add(image.width)
    assert {192, 512} <= sizes


def test_the_app_shell_weighs_at_most_100_kb_gzip(client: Any, record_property: Any) -> None:
    shell = BeautifulSoup(client.get("/field/").text, "html.parser")
    assets = [link["href"] for link in shell.select("link[rel=stylesheet]")] + [s["src"] for s in shell.select("script[src]")]
    sizes = {"/field/": wire_bytes(client, "/field/"), "/field/sw.js": wire_bytes(client, "/field/sw.js")}
    sizes |= {a: wire_bytes(client, a) for a in assets}
    total = sum(sizes.values())
    record_property("field_shell_bytes", sizes)
    print("field shell (gzip bytes)", sizes, total)
    assert total <= LIMIT, sizes


def test_no_shell_file_names_another_host() -> None:
    for path in FIELD.iterdir():
        if path.suffix in (".js", ".css", ".html", ".webmanifest"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), path.name


def test_the_renderer_draws_every_kind_of_the_kind_table() -> None:
    source = (FIELD / "form.js").read_text(encoding="utf-8")
    table = source[source.index("var KINDS = {"):]
    table = table[:table.index("\n  };")]
    assert set(re.findall(r"^    (\w+): \{", table, re.M)) == set(KINDS)


def test_the_served_definition_carries_what_the_offline_pages_show(app: Any, client: Any) -> None:
    for name, pub in app.state.catalog.current.items():
        served = client.get(f"/api/v1/surveys/{name}").json()
        survey = pub.survey
        assert served["helplines"] == [{"number": h.number, "label": h.label} for h in survey.helplines]
        assert (served["helplines_intro"], served["pronoun"], served["thanks"]) == (
            survey.helplines_intro, survey.pronoun, survey.thanks)
        pages = [(p["name"], p["intro"], p["sensitive"]) for p in served["pages"]]
        assert pages == [(p.name, p.intro, p.sensitive) for p in survey.pages]
    assert any(p["sensitive"] for p in client.get("/api/v1/surveys/women").json()["pages"])
