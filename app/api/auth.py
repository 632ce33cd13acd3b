"""/auth and /me: accounts and OAuth2 password-flow bearer tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel, Field

from ..accounts import (
    authenticate,
    check_login_throttle,
    create_account,
    issue_token,
    record_login_failure,
    revoke_all_tokens,
    revoke_token,
)
from ..errors import Unauthorized
from .deps import BearerToken, CurrentUser, SettingsDep, StoreDep

router = APIRouter(tags=["accounts"])


class Registration(BaseModel):
    username: str = Field(min_length=3, max_length=32, examples=["anna"])
    password: str = Field(min_length=1, max_length=256)
    display_name: str = Field(min_length=1, max_length=80, examples=["Anna de Vries"])
    email: str | None = Field(default=None, max_length=320, description="Private; never published")


class AccountPublic(BaseModel):
    id: str = Field(description="The person's public IRI (creator of their annotations)")
    display_name: str


class AccountPrivate(AccountPublic):
    username: str
    roles: list[str]
    staff_of: list[str]
    curator_of: list[str]


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds until the token expires")


@router.post("/auth/register", status_code=201, response_model=AccountPrivate, summary="Create a visitor account")
def register(body: Registration, store: StoreDep, settings: SettingsDep, response: Response) -> dict:
    user = create_account(store, settings.base_iri, body.username, body.password, body.display_name,
                          email=body.email)
    response.headers["Location"] = "/me"
    return user.private()


@router.post("/auth/token", response_model=Token, summary="Log in (OAuth2 password flow)")
def token(username: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=256)],
          request: Request, store: StoreDep, settings: SettingsDep,
          grant_type: Annotated[str | None, Form(pattern="^password$")] = None) -> dict:
    address = request.client.host if request.client else "unknown"
    window = timedelta(seconds=settings.login_window_seconds)
    check_login_throttle(store, settings.secret_key, username, address, window=window,
                         per_username=settings.login_failures_per_account,
                         per_address=settings.login_failures_per_address)
    try:
        user = authenticate(store, username, password)
    except Unauthorized:
        record_login_failure(store, settings.secret_key, username, address, window)
        raise
    access, seconds = issue_token(store, settings.secret_key, user, timedelta(minutes=settings.access_token_minutes))
    return {"access_token": access, "token_type": "bearer", "expires_in": seconds}


@router.post("/auth/revoke", status_code=204, summary="Revoke this token (or, with all=true, every token)")
def revoke(user: CurrentUser, token: BearerToken, store: StoreDep, settings: SettingsDep,
           all: bool = False) -> Response:  # noqa: A002 - the query parameter's name
    if all:
        revoke_all_tokens(store, user)
    elif token:
        revoke_token(store, settings.secret_key, token)
    return Response(status_code=204)


@router.get("/me", response_model=AccountPrivate, summary="Who am I")
def me(user: CurrentUser) -> dict:
    return user.private()
