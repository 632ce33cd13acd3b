"""Dependencies the routers share: the store, the index and settings, read from app.state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, Self, TypeVar

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, ValidationError
from starlette.datastructures import State

from ..accounts import User, user_for_token
from ..errors import Unauthorized
from ..lang import preferences
from ..search import NameIndex
from ..settings import Settings
from ..spatial import PlaceIndex
from ..store import GraphStore

# The dependencies that only read app.state are `async def`: FastAPI runs a plain `def` dependency
# in its thread pool, and every such hand-over costs the event loop up to a GIL switch interval
# (5 ms) while request threads compute. Those that may wait on the store stay `def`.


def ready(request: Request) -> State:
    """This worker's app.state, once its start-up work is done (503 with Retry-After before that).
    The hottest route reads it directly: FastAPI solves every dependency of every request anew, and
    nearby's four state dependencies cost it ~0.2 ms of its ~2."""
    request.app.state.startup.check()
    return request.app.state


async def get_store(request: Request) -> GraphStore:
    return ready(request).store


async def get_index(request: Request) -> PlaceIndex:
    return request.app.state.place_index


async def get_name_index(request: Request) -> NameIndex:
    return request.app.state.name_index


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


LANG_DESCRIPTION = ("Preferred language(s), e.g. `en` or `en,nl`; wins over Accept-Language. "
                    "Fallback: nl, then en, then any.")


async def get_languages(
    lang: Annotated[str | None, Query(description=LANG_DESCRIPTION, max_length=100)] = None,
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


async def get_current_user(user: Annotated[User | None, Depends(get_optional_user)]) -> User:
    if user is None:
        raise Unauthorized("Log in first: POST /auth/token, then send 'Authorization: Bearer <token>'",
                           headers={"WWW-Authenticate": "Bearer"})
    return user


async def get_bearer_token(token: Annotated[str | None, Depends(_bearer)]) -> str | None:
    return token


OptionalUser = Annotated[User | None, Depends(get_optional_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]
BearerToken = Annotated[str | None, Depends(get_bearer_token)]


class QueryModel(BaseModel):
    """The query parameters of the hottest route, validated by one pydantic call. FastAPI checks
    each declared parameter on its own, and a dependency per request on top: for nearby's ten
    that was ~0.3 ms a request, a fifth of the worker's time at 500 requests/s. Errors are the
    same 422 as FastAPI's; the route documents the fields with `openapi_extra=Model.openapi()`."""

    @classmethod
    def from_request(cls, request: Request) -> Self:
        try:
            return cls.model_validate(dict(request.query_params))
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]) from None

    @classmethod
    def openapi(cls) -> dict[str, Any]:
        schema = cls.model_json_schema()
        required = set(schema.get("required", ()))
        parameters = []
        for name, field in schema["properties"].items():
            description = field.pop("description", None)
            parameters.append({"name": name, "in": "query", "required": name in required, "schema": field,
                               **({"description": description} if description else {})})
        return {"parameters": parameters}


P = ParamSpec("P")
T = TypeVar("T")


async def answer(store: GraphStore, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a hot read route's work on the event loop when the store is in this process, else in the
    thread pool. In-process work holds the GIL anyway (a warm nearby page is ~1 ms of it): handed to
    a thread, every request also cost the loop a GIL switch interval to get it back (5 ms), and a
    worker served 235 nearby pages/s where it now serves ~380. A remote store's calls wait on the
    network, so they must not block the loop."""
    if store.in_process:
        return work(*args, **kwargs)
    return await run_in_threadpool(work, *args, **kwargs)
