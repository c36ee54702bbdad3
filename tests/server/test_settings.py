"""Settings are typed and documented."""

from server.settings import Settings


def test_every_setting_has_a_description() -> None:
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert missing == []


def test_settings_read_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CUNSHENG_PORT", "8123")
    assert Settings().port == 8123


def test_local_state_defaults_to_instance_under_the_current_directory(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CUNSHENG_DATABASE_URL", raising=False)
    monkeypatch.delenv("CUNSHENG_INSTANCE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.instance_dir == tmp_path / "instance"
    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'cunsheng.db'}"


def test_a_shared_database_without_a_secret_is_a_start_up_problem(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from server.app import create_app
    from surveys.problem import Problem

    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/unreachable", secret_key="",
                        instance_dir=tmp_path)
    with pytest.raises(Problem) as caught:
        create_app(settings)  # raised before any connection is tried (port 1 would fail otherwise)
    assert caught.value.code == "settings.secret_missing" and caught.value.status == 2
    assert "CUNSHENG_SECRET_KEY" in caught.value.message and not (tmp_path / "secret_key").exists()


def test_the_embedded_sqlite_default_keeps_one_generated_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", secret_key="", instance_dir=tmp_path)
    secret = settings.resolved_secret()
    assert len(secret) >= 32 and (tmp_path / "secret_key").read_text().strip() == secret
    assert settings.resolved_secret() == secret


def test_the_pool_holds_one_connection_per_handler_thread_and_opens_no_more(make_settings) -> None:  # type: ignore[no-untyped-def]
    import anyio.to_thread
    from fastapi.testclient import TestClient

    from server.app import create_app

    app = create_app(make_settings().model_copy(update={"threads": 3}))
    try:
        with TestClient(app) as client:
            limit = client.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)
            assert limit == 3
        pool = app.state.engine.pool
        if app.state.engine.dialect.name == "postgresql":
            assert (pool.size(), pool._max_overflow) == (3, 0)
    finally:
        app.state.engine.dispose()


def test_a_serving_process_freezes_its_start_up_heap_for_the_collector(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`serve_app` (what `cunsheng serve` runs) tunes the collector; in a child process, as it tunes the process."""
    import subprocess
    import sys

    code = ("import gc; from server.app import serve_app, GC_YOUNGEST; serve_app(); "
            "print(gc.get_freeze_count(), gc.get_threshold()[0] == GC_YOUNGEST)")
    env = {"PATH": "/usr/bin:/bin", "CUNSHENG_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "CUNSHENG_INSTANCE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True)
    frozen, tuned = out.stdout.split()
    assert int(frozen) > 10_000 and tuned == "True"
