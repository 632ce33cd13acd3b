"""Response models: the API's documented shapes (OpenAPI at /docs)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Ref(BaseModel):
    id: str = Field(description="IRI")
    label: str | None = None


class TypeRef(Ref):
    pass


class ContextSummary(BaseModel):
    """Why a place matters, in numbers."""

    stories: int
    collections: int
    sources: int
    tags: int
    comments: int
    bookmarks: int
    story_titles: list[str]


class NearbyPlace(BaseModel):
    id: str = Field(description="The place's IRI; dereference it, or GET /places/{key}")
    label: str
    types: list[TypeRef]
    identifiers: list[str]
    description: str | None
    context: ContextSummary
    lat: float
    lon: float
    distance_m: float = Field(description="Great-circle distance from the asked point, metres")
    bearing_deg: float = Field(description="Initial bearing from the asked point, degrees from north")
    records: list[str] = Field(default_factory=list, description="Every record of this place of meaning, from "
                               "all sources linked as the same place (canonical first); empty when unlinked")


class NearbyPage(BaseModel):
    items: list[NearbyPlace]
    total: int = Field(description="Places matching in the whole radius")
    offset: int
    limit: int
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class NearestPlace(Ref):
    distance_m: float
    bearing_deg: float


class RelatedPlace(Ref):
    via: list[Ref] = Field(description="The stories, collections, sources or tags it shares")


class LinkedResource(BaseModel):
    id: str
    title: str | None
    description: str | None
    kind: list[str]
    url: str | None
    date: str | None
    publisher: list[Ref]
    sample_content: bool
    places: list[Ref] = Field(description="The other places this resource links")


class ConceptMatch(Ref):
    relation: str
    broader: list[Ref]


class PlaceType(Ref):
    matches: list[ConceptMatch]


class PlaceContext(BaseModel):
    id: str
    label: str
    labels: dict[str, str]
    name: str | None
    description: str | None
    lat: float
    lon: float
    types: list[PlaceType]
    identifiers: list[str]
    address: dict[str, str | None] | None
    municipality: str | None
    province: str | None
    protection_status: str | None
    situation: str | None
    build_years: dict[str, int | None] | None
    links: list[str]
    stories: list[LinkedResource]
    collections: list[LinkedResource]
    sources: list[LinkedResource]
    objects: list[LinkedResource]
    related_places: list[RelatedPlace]
    nearest_places: list[NearestPlace]
    tourist_info: dict[str, Any] | None
    context: ContextSummary
    also_known_as: list[str] = Field(default_factory=list, description="Names other linked records use")
    records: list[str] = Field(default_factory=list, description="Every record linked as this same place "
                               "(owl:sameAs), canonical first; their stories, sources and labels are merged in")
    social: SocialContext | None = None


class Health(BaseModel):
    status: str
    store: str
    triples: int
    places: int


class Person(BaseModel):
    id: str
    name: str | None


class Contribution(BaseModel):
    """One annotation as the place context shows it; `official` when staff spoke for an institution."""

    id: str
    motivation: str
    created: str | None
    modified: str | None
    creator: Person
    speaks_for: Person | None
    official: bool
    text: str | None = Field(description="Plain text: never render it as HTML")
    title: str | None
    date: str | None
    language: str | None


class Thread(Contribution):
    reply_count: int = Field(description="Replies at any depth (for a top-level comment), direct ones below")
    replies: list[Thread]


class LinkTarget(BaseModel):
    id: str
    label: str | None
    kind: str = Field(description="place or source")


class LinkContribution(Contribution):
    target: LinkTarget
    linked_by: Person


class TagCount(BaseModel):
    id: str
    label: str | None
    count: int


class Tags(BaseModel):
    institutional: list[TagCount] = Field(description="Tags given by staff on behalf of an institution")
    social: list[TagCount] = Field(description="Tags given by visitors")


class Threads(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[Thread]


class Stories(BaseModel):
    institutional: list[Contribution]
    visitors: list[Contribution]


class Links(BaseModel):
    institutional: list[LinkContribution]
    visitors: list[LinkContribution]


class SocialContext(BaseModel):
    """What people said about a place, institutional contributions apart from visitors'."""

    tags: Tags
    comments: Threads
    stories: Stories
    links: Links
    bookmarks: int
class ProblemDetails(BaseModel):
    """RFC 9457 problem details: the body of every error."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


_PROBLEM_STATUSES = {400: "Bad request", 401: "Not logged in, or a bad token", 403: "Not allowed",
                     404: "Not found", 406: "Not acceptable", 409: "Conflict", 412: "Precondition failed",
                     413: "Body too large", 415: "Unsupported media type", 422: "Invalid parameters or body",
                     428: "Precondition required", 429: "Too many requests", 503: "Store unavailable"}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "model": ProblemDetails, "content": {"application/problem+json": {}}}
    for status, text in _PROBLEM_STATUSES.items()}
