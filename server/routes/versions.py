"""The JSON API's questionnaires: the published definitions, each at its current version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from server.deps import CatalogDep, SurveyDep
from surveys.export import definition_dict

router = APIRouter(prefix="/api/v1")


@router.get("/surveys", name="list_surveys")
def list_surveys(catalog: CatalogDep) -> list[dict[str, Any]]:
    return [{"name": p.survey.name, "title": p.survey.title, "version": p.number, "sha256": p.survey.sha256}
            for p in catalog.current.values()]


@router.get("/surveys/{survey}", name="get_definition")
def get_definition(pub: SurveyDep) -> dict[str, Any]:
    return {"version": pub.number, **definition_dict(pub.survey)}
