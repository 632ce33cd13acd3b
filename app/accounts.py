"""Accounts, roles, institutions and access tokens, kept in the private accounts graph.

Only a person's display name is public (in the community graph). Passwords are argon2 hashes;
tokens are random and stored only as an HMAC keyed with the server secret, with an expiry, so a
copy of the store alone cannot be used to log in, and revoking a token is deleting it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from .errors import BadRequest, Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized, Unprocessable
from .lang import FALLBACK, pick, text
from .queries import query
from .store import GraphStore

PVB = "https://w3id.org/pvb/ns#"
GLOBAL_ROLES = ("visitor", "moderator", "admin")
INSTITUTION_ROLES = {"staff": PVB + "staffOf", "curator": PVB + "curatorOf"}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]{2,31}$")
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)  # OWASP minimum for argon2id


@dataclass(frozen=True)
class User:
    account: str
    agent: str
    username: str
    display_name: str
    roles: frozenset[str] = frozenset({"visitor"})
    staff_of: frozenset[str] = field(default_factory=frozenset)
    curator_of: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_moderator(self) -> bool:
        return "moderator" in self.roles or self.is_admin

    def speaks_for(self, institution: str) -> bool:
        """Staff and curators may post as their institution."""
        return institution in self.staff_of or institution in self.curator_of

    def curates(self, institution: str) -> bool:
        return institution in self.curator_of or self.is_admin

    def public(self) -> dict:
        return {"id": self.agent, "display_name": self.display_name}

    def private(self) -> dict:
        return {**self.public(), "username": self.username, "roles": sorted(self.roles),
                "staff_of": sorted(self.staff_of), "curator_of": sorted(self.curator_of)}


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise Unprocessable("username must be 3–32 characters: lower-case letters, digits, '.', '_' or '-', "
                            "starting with a letter or digit")
    return name


def check_password(password: str, username: str) -> None:
    problems = []
    if len(password) < 10:
        problems.append("at least 10 characters")
    if len(password) > 256:
        problems.append("at most 256 characters")
    if username and username.lower() in password.lower():
        problems.append("must not contain the username")
    if len(set(password)) < 5:
        problems.append("at least 5 different characters")
    if problems:
        raise Unprocessable("password: " + "; ".join(problems))


def create_account(store: GraphStore, base_iri: str, username: str, password: str, display_name: str,
                   *, email: str | None = None, roles: tuple[str, ...] = ("visitor",)) -> User:
    name = check_username(username)
    check_password(password, name)
    display = " ".join(display_name.split())
    if not 1 <= len(display) <= 80:
        raise Unprocessable("display_name must be 1–80 characters")
    if email is not None and not re.match(r"^[^@\s]{1,64}@[^@\s]{1,255}$", email):
        raise Unprocessable("email is not an e-mail address")
    for role in roles:
        if role not in GLOBAL_ROLES:
            raise Unprocessable(f"unknown role {role!r}; global roles are {', '.join(GLOBAL_ROLES)}")
    key = uuid.uuid4().hex
    account = URIRef(f"urn:pvb:account:{key}")
    agent = URIRef(f"{base_iri}id/user/{key}")
    store.update(query("account_create").bind(
        account=account, username=Literal(name), hash=Literal(_hasher.hash(password)), agent=agent,
        role=[Literal(r) for r in sorted({"visitor", *roles})], email=Literal(email) if email else None,
        created=Literal(datetime.now(UTC).isoformat(timespec="seconds"), datatype=XSD.dateTime),
        displayName=Literal(display)))
    holders = {str(r["account"]) for r in store.select(query("account_login").bind(username=Literal(name)))}
    if holders != {str(account)}:  # the name was taken (or is being taken right now): ours goes
        store.update(query("account_discard").bind(account=account))
        raise Conflict(f"username {name!r} is taken")
    return load_user(store, str(account))  # type: ignore[return-value]


def find_account(store: GraphStore, username: str) -> User | None:
    rows = store.select(query("account_login").bind(username=Literal(username.strip().lower())))
    return load_user(store, str(rows[0]["account"])) if rows else None


def load_user(store: GraphStore, account: str) -> User | None:
    return load_users(store, [account]).get(account)


def load_users(store: GraphStore, accounts: list[str]) -> dict[str, User]:
    values: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in store.select(query("account_details").bind(account=[URIRef(a) for a in accounts])):
        values[str(row["account"])][str(row["key"])].add(str(row["value"]))
    users = {}
    for account, found in values.items():
        if not found["username"]:
            continue
        users[account] = User(
            account=account, agent=min(found["agent"]), username=min(found["username"]),
            display_name=min(found["displayName"] or found["username"]),
            roles=frozenset(found["role"] or {"visitor"}),
            staff_of=frozenset(found["staffOf"]), curator_of=frozenset(found["curatorOf"]))
    return users


def authenticate(store: GraphStore, username: str, password: str) -> User:
    """The account for these credentials, or a 401 that does not say which part was wrong."""
    rows = store.select(query("account_login").bind(username=Literal(username.strip().lower())))
    try:
        if not rows:
            raise VerificationError
        _hasher.verify(str(rows[0]["hash"]), password)
    except (VerificationError, InvalidHashError):
        raise Unauthorized("Wrong username or password", headers={"WWW-Authenticate": "Bearer"}) from None
    user = load_user(store, str(rows[0]["account"]))
    if user is None:
        raise Unauthorized("Wrong username or password", headers={"WWW-Authenticate": "Bearer"})
    return user


def _keyed(secret: str, value: str) -> Literal:
    return Literal(hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:32])


def check_login_throttle(store: GraphStore, secret: str, username: str, address: str, *, window: timedelta,
                         per_username: int, per_address: int) -> None:
    """429 before any password is checked once a username or an address failed too often.
    Counted in the store, so the limit holds across workers and restarts."""
    now = datetime.now(UTC)
    since = Literal((now - window).isoformat(timespec="seconds"), datatype=XSD.dateTime)
    for what, binding, limit in (
            ("account", {"usernameHash": _keyed(secret, username.strip().lower())}, per_username),
            ("address", {"addressHash": _keyed(secret, address)}, per_address)):
        row = store.select(query("login_failures").bind(since=since, **binding))[0]
        if int(row.get("n", 0)) >= limit:  # type: ignore[call-overload]
            oldest = datetime.fromisoformat(str(row["oldest"]))
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            wait = max(1, int((oldest + window - now).total_seconds()) + 1)
            raise TooManyRequests(f"Too many failed logins for this {what}; try again later",
                                  headers={"Retry-After": str(wait)})


def record_login_failure(store: GraphStore, secret: str, username: str, address: str, window: timedelta) -> None:
    now = datetime.now(UTC)
    store.update(query("login_failure_record").bind(
        failure=URIRef(f"urn:pvb:login-failure:{uuid.uuid4().hex}"),
        usernameHash=_keyed(secret, username.strip().lower()), addressHash=_keyed(secret, address),
        now=Literal(now.isoformat(timespec="seconds"), datatype=XSD.dateTime),
        before=Literal((now - window).isoformat(timespec="seconds"), datatype=XSD.dateTime)), public=False)


def _token_hash(secret: str, token: str) -> Literal:
    return Literal(hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest())


def issue_token(store: GraphStore, secret: str, user: User, lifetime: timedelta) -> tuple[str, int]:
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + lifetime
    store.update(query("token_create").bind(
        token=URIRef(f"urn:pvb:token:{uuid.uuid4().hex}"), tokenHash=_token_hash(secret, token),
        account=URIRef(user.account),
        expires=Literal(expires.isoformat(timespec="seconds"), datatype=XSD.dateTime)), public=False)
    return token, int(lifetime.total_seconds())


def user_for_token(store: GraphStore, secret: str, token: str) -> User:
    invalid = Unauthorized("The access token is invalid, expired or revoked",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if not token or len(token) > 200:
        raise invalid
    rows = store.select(query("token_lookup").bind(tokenHash=_token_hash(secret, token)))
    if not rows:
        raise invalid
    expires = datetime.fromisoformat(str(rows[0]["expires"]))
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC):
        raise invalid
    user = load_user(store, str(rows[0]["account"]))
    if user is None:
        raise invalid
    return user


def revoke_token(store: GraphStore, secret: str, token: str) -> None:
    store.update(query("token_revoke").bind(tokenHash=_token_hash(secret, token)), public=False)


def revoke_all_tokens(store: GraphStore, user: User) -> None:
    store.update(query("token_revoke").bind(account=URIRef(user.account)), public=False)


def list_accounts(store: GraphStore) -> list[User]:
    accounts = [str(row["account"]) for row in store.select(query("account_list").text)]
    users = load_users(store, accounts) if accounts else {}
    return sorted(users.values(), key=lambda u: u.username)


# Institutions ---------------------------------------------------------------------------------

def institution_iri(base_iri: str, key: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")
    if not slug or len(slug) > 80:
        raise Unprocessable("an institution needs a name of letters or digits (at most 80)")
    return f"{base_iri}id/institution/{slug}"


def institutions(store: GraphStore, iris: list[str] | None = None,
                 prefs: tuple[str, ...] = FALLBACK) -> dict[str, str]:
    bound = query("institutions").bind(institution=[URIRef(i) for i in iris] if iris is not None else None)
    names: dict[str, list] = defaultdict(list)
    for row in store.select(bound):
        names[str(row["institution"])].extend([row["name"]] if "name" in row else [])
    return {iri: text(pick(found, list(prefs))) or iri for iri, found in names.items()}


def get_institution(store: GraphStore, iri: str) -> dict[str, str]:
    found = institutions(store, [iri])
    if iri not in found:
        raise NotFound(f"No institution {iri!r}")
    return {"id": iri, "name": found[iri]}


def ensure_institution(store: GraphStore, base_iri: str, name: str) -> str:
    """The institution with this name's IRI, created when new."""
    iri = institution_iri(base_iri, name)
    display = " ".join(name.split())
    if not 1 <= len(display) <= 200:
        raise Unprocessable("institution name must be 1–200 characters")
    store.update(query("institution_create").bind(
        institution=URIRef(iri), name=Literal(display),
        created=Literal(datetime.now(UTC).isoformat(timespec="seconds"), datatype=XSD.dateTime)))
    return iri


def grant(store: GraphStore, user: User, role: str, institution: str | None = None) -> None:
    if role in INSTITUTION_ROLES:
        if not institution:
            raise BadRequest(f"the {role} role needs an institution")
        get_institution(store, institution)
        prop, value = URIRef(INSTITUTION_ROLES[role]), URIRef(institution)
    elif role in GLOBAL_ROLES:
        prop, value = URIRef(PVB + "role"), Literal(role)
    else:
        raise Unprocessable(f"unknown role {role!r}")
    store.update(query("account_grant").bind(account=URIRef(user.account), prop=prop, value=value))


def revoke(store: GraphStore, user: User, role: str, institution: str | None = None) -> None:
    if role in INSTITUTION_ROLES:
        if not institution:
            raise BadRequest(f"the {role} role needs an institution")
        prop, value = URIRef(INSTITUTION_ROLES[role]), URIRef(institution)
    elif role in GLOBAL_ROLES and role != "visitor":
        prop, value = URIRef(PVB + "role"), Literal(role)
    else:
        raise Unprocessable(f"cannot revoke role {role!r}")
    store.update(query("account_revoke_role").bind(account=URIRef(user.account), prop=prop, value=value))


def may_manage_members(actor: User, institution: str) -> None:
    if not (actor.is_admin or institution in actor.curator_of):
        raise Forbidden("Only an admin or a curator of this institution may change its members")
