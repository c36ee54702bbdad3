"""The JSON API's questionnaires: the published definitions, each at its current version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from server.apidoc import DefinitionOut, SurveyOut, problems
from server.deps import CatalogDep, SurveyDep
from server.errors import P
from surveys.export import definition_dict

router = APIRouter(prefix="/api/v1")


@router.get("/surveys", name="list_surveys", response_model=list[SurveyOut])
def list_surveys(catalog: CatalogDep) -> list[dict[str, Any]]:
    return [{"name": p.survey.name, "title": p.survey.title, "version": p.number, "sha256": p.survey.sha256}
            for p in catalog.current.values()]


@router.get("/surveys/{survey}", name="get_definition", response_model=DefinitionOut,
            responses=problems(P.SURVEY_NOT_FOUND, P.REQUEST_INVALID))
def get_definition(pub: SurveyDep) -> dict[str, Any]:
    return {"version": pub.number, **definition_dict(pub.survey)}
