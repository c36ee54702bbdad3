"""Typed settings for cunsheng, read from the environment (prefix CUNSHENG_) or a `.env` file.

Every field has a description (a test checks it). Nothing here opens a file or a connection.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.startup_errors import StartErr
from surveys.problem import Problem

# The folder holding the `server`, `surveys` and `analysis` packages: the checkout, or site-packages
# for an installed wheel. Bundled data is found from here; local state never goes here.
ROOT = Path(__file__).resolve().parent.parent


def _instance() -> Path:
    """Local state lives in `instance/` under the directory the server is started from."""
    return Path.cwd() / "instance"


class Settings(BaseSettings):
    """Deployment settings; defaults give the embedded SQLite server with the bundled questionnaires."""

    model_config = SettingsConfigDict(env_prefix="CUNSHENG_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{_instance() / 'cunsheng.db'}",
        description="SQLAlchemy URL: sqlite:///path (embedded default: instance/cunsheng.db under the "
        "current directory) or postgresql://user@host/db.",
    )
    definitions_dir: Path = Field(
        default=ROOT / "surveys" / "definitions",
        description="Folder of questionnaire definitions (*.yaml) loaded and published at start.",
    )
    units_csv: Path = Field(
        default=ROOT / "server" / "data" / "county" / "units.csv",
        description="The org-unit tree (code,name,level,parent,urban_rural,households; ../shared/fieldwork §1) "
                    "imported at the first start; the bundled synthetic county by default.",
    )
    population_csv: Path = Field(
        default=ROOT / "server" / "data" / "county" / "population.csv",
        description="Population by village, year, sex and age group (code,year,sex,age_group,count), imported with "
                    "the units.",
    )
    secret_key: str = Field(
        default="",
        description="Secret for form tokens, the same for every process of a deployment; required with "
        "PostgreSQL. With the embedded SQLite default, when empty a random key is kept in instance/secret_key.",
    )
    instance_dir: Path = Field(
        default_factory=_instance,
        description="Folder for local state of the embedded default (generated secret): instance/ under "
        "the current directory.",
    )
    cookie_secure: bool = Field(
        default=False, description="Mark cookies Secure (set true behind HTTPS)."
    )
    draft_days: int = Field(
        default=30, ge=1, description="Days a draft stays open after its last save: its resume cookie and code then expire."
    )
    staff_idle_minutes: int = Field(
        default=60, ge=1, description="Minutes without a request after which a console sign-in ends."
    )
    public_url: str = Field(
        default="",
        description="The address respondents open (e.g. https://cunsheng.example.cn) when behind a proxy; form posts "
                    "must come from this origin. Empty: the request's own scheme and host.",
    )
    rate_limits: str = Field(
        default="start=300/600,resume=10/600,post=3000/600,ingest=1200/60",
        description="Per client address, hits/seconds by action: start (new drafts), resume (failed resume codes, "
                    "then locked out), post (page posts), ingest (API responses). `off` turns every limit off.",
    )
    max_body_kb: int = Field(
        default=256, ge=16, description="Largest request body accepted, in KB (a whole response is a few KB); 413 above it."
    )
    threads: int = Field(
        default=8, ge=1, le=64,
        description="Threads per server process that run request handlers, and the PostgreSQL connections each "
                    "process keeps open (one per thread, none opened per request). Mind the database's "
                    "max_connections: workers x threads must stay below it.",
    )
    access_log: bool = Field(
        default=False,
        description="Log one line per request (uvicorn's access log). Off by default: under load it costs CPU, and "
                    "the reverse proxy in front keeps its own; errors and start-up are logged either way.",
    )
    field_app_dir: Path | None = Field(
        default=None,
        description="Folder of the offline field app's shell (index.html, sw.js, app.js, engine.js, app.css, the "
                    "manifest and icons) served at /field/; empty: the bundled static/field. Every change of a file "
                    "there is a new version that devices install (a county's own icons, say).",
    )
    host: str = Field(default="127.0.0.1", description="Address `cunsheng serve` listens on.")
    port: int = Field(default=8000, description="Port `cunsheng serve` listens on.")

    def resolved_secret(self) -> str:
        """The configured secret; on the embedded SQLite default, one generated once in the instance folder.

        Any other database is shared by several processes or machines, which must all sign form tokens
        with the same key, so a missing key is a start-up problem there rather than a per-machine secret.
        """
        if self.secret_key:
            return self.secret_key
        if not self.database_url.startswith("sqlite"):
            raise Problem(StartErr.SECRET_MISSING)
        import secrets

        path = self.instance_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
        return path.read_text().strip()
