"""Questionnaire definitions: load -> compile -> validate answers (pure Python, imports nothing of ours)."""
