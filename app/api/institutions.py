"""/institutions: who they are, and who speaks and curates for them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from ..accounts import (
    User,
    ensure_institution,
    find_account,
    get_institution,
    grant,
    institution_iri,
    institutions,
    may_manage_members,
    revoke,
)
from ..annotations import institution_annotations
from ..errors import Forbidden, NotFound
from ..settings import Settings
from ..store import GraphStore
from .deps import CurrentUser, SettingsDep, StoreDep

router = APIRouter(prefix="/institutions", tags=["institutions"])


class Institution(BaseModel):
    id: str
    name: str


class InstitutionCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class Membership(BaseModel):
    role: Literal["staff", "curator"] = "staff"


def _iri(settings, key: str) -> str:
    return institution_iri(settings.base_iri, key)


@router.get("", response_model=list[Institution])
def list_institutions(store: StoreDep) -> list[dict]:
    return [{"id": iri, "name": name} for iri, name in sorted(institutions(store).items(), key=lambda kv: kv[1])]


@router.post("", status_code=201, response_model=Institution)
def create_institution(body: InstitutionCreate, user: CurrentUser, store: StoreDep, settings: SettingsDep,
                       response: Response) -> dict:
    if not user.is_admin:
        raise Forbidden("Only an admin may create institutions")
    iri = ensure_institution(store, settings.base_iri, body.name)
    response.headers["Location"] = "/institutions/" + iri.rsplit("/", 1)[1]
    return get_institution(store, iri)


@router.get("/{key}", response_model=Institution)
def read_institution(key: str, store: StoreDep, settings: SettingsDep) -> dict:
    return get_institution(store, _iri(settings, key))


def _member_of(key: str, username: str, user: User, store: GraphStore, settings: Settings) -> tuple[str, User]:
    """The institution and the account to change, once the caller may manage its members."""
    iri = _iri(settings, key)
    get_institution(store, iri)
    may_manage_members(user, iri)
    member = find_account(store, username)
    if member is None:
        raise NotFound(f"No account {username!r}")
    return iri, member


@router.put("/{key}/members/{username}", status_code=204, summary="Make someone staff or curator")
def add_member(key: str, username: str, body: Membership, user: CurrentUser, store: StoreDep,
               settings: SettingsDep) -> Response:
    iri, member = _member_of(key, username, user, store, settings)
    grant(store, member, body.role, iri)
    return Response(status_code=204)


@router.delete("/{key}/members/{username}", status_code=204)
def remove_member(key: str, username: str, user: CurrentUser, store: StoreDep, settings: SettingsDep,
                  role: Literal["staff", "curator"] = "staff") -> Response:
    iri, member = _member_of(key, username, user, store, settings)
    revoke(store, member, role, iri)
    return Response(status_code=204)


@router.get("/{key}/mentions", summary="Annotations on the institution's places, newest first (public)")
def mentions(key: str, store: StoreDep, settings: SettingsDep,
             motivation: Annotated[str | None, Query(max_length=50, description="e.g. commenting")] = None,
             since: Annotated[datetime | None, Query(description="Only from this moment on (ISO 8601)")] = None,
             limit: Annotated[int, Query(ge=1, le=100)] = 20,
             offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> dict:
    """Its places: places in datasets it publishes, and places its stories, collections and sources
    are about. Public, like the annotations themselves."""
    iri = _iri(settings, key)
    get_institution(store, iri)
    return institution_annotations(store, settings, iri, motivation=motivation, since=since, limit=limit,
                                   offset=offset)


@router.get("/{key}/unanswered", summary="Comments on its places without an official reply (staff)")
def unanswered(key: str, user: CurrentUser, store: StoreDep, settings: SettingsDep,
               since: Annotated[datetime | None, Query(description="Only from this moment on (ISO 8601)")] = None,
               limit: Annotated[int, Query(ge=1, le=100)] = 20,
               offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> dict:
    """For the institution's staff and curators (and moderators): their to-do list."""
    iri = _iri(settings, key)
    get_institution(store, iri)
    if not (user.speaks_for(iri) or user.is_moderator):
        raise Forbidden("Only staff of this institution see its unanswered questions")
    return institution_annotations(store, settings, iri, motivation="commenting", since=since, unanswered=True,
                                   limit=limit, offset=offset)
