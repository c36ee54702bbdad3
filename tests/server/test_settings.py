"""Settings are typed and documented."""

from server.settings import Settings


def test_every_setting_has_a_description() -> None:
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert missing == []


def test_settings_read_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CUNSHENG_PORT", "8123")
    assert Settings().port == 8123
