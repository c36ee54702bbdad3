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
