"""Dependencies the routers share: the store, the index and settings, read from app.state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import OAuth2PasswordBearer

from ..accounts import User, user_for_token
from ..errors import Unauthorized
from ..lang import preferences
from ..search import NameIndex
from ..settings import Settings
from ..spatial import PlaceIndex
from ..store import GraphStore


def get_store(request: Request) -> GraphStore:
    """The store, once this worker's start-up work is done (503 with Retry-After before that)."""
    request.app.state.startup.check()
    return request.app.state.store


def get_index(request: Request) -> PlaceIndex:
    return request.app.state.place_index


def get_name_index(request: Request) -> NameIndex:
    return request.app.state.name_index


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_languages(
    lang: Annotated[str | None, Query(description="Preferred language(s), e.g. `en` or `en,nl`; "
                                      "wins over Accept-Language. Fallback: nl, then en, then any.",
                                      max_length=100)] = None,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> list[str]:
    return preferences(lang, accept_language)


StoreDep = Annotated[GraphStore, Depends(get_store)]
IndexDep = Annotated[PlaceIndex, Depends(get_index)]
NameIndexDep = Annotated[NameIndex, Depends(get_name_index)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
LanguagesDep = Annotated[list[str], Depends(get_languages)]


_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def get_optional_user(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> User | None:
    if token is None:
        if request.headers.get("authorization"):
            raise Unauthorized("Use 'Authorization: Bearer <token>'", headers={"WWW-Authenticate": "Bearer"})
        return None
    return user_for_token(request.app.state.store, request.app.state.settings.secret_key, token)


def get_current_user(user: Annotated[User | None, Depends(get_optional_user)]) -> User:
    if user is None:
        raise Unauthorized("Log in first: POST /auth/token, then send 'Authorization: Bearer <token>'",
                           headers={"WWW-Authenticate": "Bearer"})
    return user


def get_bearer_token(token: Annotated[str | None, Depends(_bearer)]) -> str | None:
    return token


OptionalUser = Annotated[User | None, Depends(get_optional_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]
BearerToken = Annotated[str | None, Depends(get_bearer_token)]
