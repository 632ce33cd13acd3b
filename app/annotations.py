"""W3C Web Annotations: parse posted JSON-LD, store it as RDF, render it back, and read threads.

Posted documents are parsed as plain JSON against the terms of the Web Annotation context
(http://www.w3.org/ns/anno.jsonld), which is never fetched: any other remote `@context` is refused,
so a post can never make the server fetch a URL. Every write is one store update holding the public
annotation and its private provenance (who sent it, from which address) together.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, SKOS, XSD
from rdflib.term import Node

from .accounts import User
from .errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    TooManyRequests,
    Unprocessable,
    UnsupportedMediaType,
)
from .lang import pick, text
from .queries import combine, query
from .settings import Settings
from .store import GraphStore
from .terms import is_iri

ANNOTATIONS = "urn:pvb:graph:annotations"
MODERATION = "urn:pvb:private:moderation"
ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"
KNOWN_CONTEXTS = {ANNO_CONTEXT, "https://www.w3.org/ns/anno.jsonld", LDP_CONTEXT}
OA = "http://www.w3.org/ns/oa#"
AS = "http://www.w3.org/ns/activitystreams#"
PVB = "https://w3id.org/pvb/ns#"
PROV = "http://www.w3.org/ns/prov#"
MOTIVATIONS = ("tagging", "commenting", "replying", "linking", "describing", "bookmarking")
# Terms this server adds to the anno.jsonld context, so the JSON-LD expands to exactly what is stored.
EXTRA_CONTEXT = {"pvb": PVB, "dcterms": str(DCTERMS),
                 "speaksFor": {"@id": "pvb:speaksFor", "@type": "@id"},
                 "title": "dcterms:title", "date": "dcterms:date",
                 "format": "dcterms:format", "language": "dcterms:language"}
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_XSD_DT = XSD.dateTime


def annotation_iri(settings: Settings, key: str) -> str:
    return f"{settings.base_iri}annotations/{key}"


def container_iri(settings: Settings) -> str:
    return f"{settings.base_iri}annotations/"


def generator_iri(settings: Settings) -> str:
    return f"{settings.base_iri}id/software/pvb"


def tag_scheme(settings: Settings) -> str:
    return f"{settings.base_iri}id/scheme/tags"


def now() -> datetime:
    return datetime.now(UTC)


def _dt(moment: datetime) -> Literal:
    return Literal(moment.isoformat(timespec="microseconds"), datatype=_XSD_DT)


# Parsing ---------------------------------------------------------------------------------------

@dataclass
class Body:
    iri: str | None = None
    value: str | None = None
    language: str | None = None
    title: str | None = None
    date: str | None = None


@dataclass
class Draft:
    motivation: str
    target: str
    bodies: list[Body] = field(default_factory=list)
    speaks_for: str | None = None
    via: str | None = None
    id: str | None = None


def _one(value: Any, what: str) -> Any:
    if isinstance(value, list):
        if len(value) != 1:
            raise Unprocessable(f"exactly one {what} is supported, got {len(value)}")
        return value[0]
    return value


def _check_context(context: Any) -> None:
    items = context if isinstance(context, list) else [context]
    if not items or items[0] not in (ANNO_CONTEXT, "https://www.w3.org/ns/anno.jsonld"):
        raise BadRequest(f'"@context" must be "{ANNO_CONTEXT}" (first, when a list)')
    for item in items[1:]:
        if isinstance(item, str) and item not in KNOWN_CONTEXTS:
            raise BadRequest(f"Remote @context {item[:200]!r} is not fetched; only {ANNO_CONTEXT} is understood")
        if not isinstance(item, str | dict):
            raise BadRequest("@context entries must be strings or objects")


def _iri_of(value: Any, what: str) -> str:
    if isinstance(value, dict):
        value = value.get("id") or value.get("@id") or value.get("source")
    if not isinstance(value, str) or not is_iri(value) or len(value) > 2048:
        raise BadRequest(f"{what} must be an absolute IRI, got {str(value)[:200]!r}")
    return value


def _text(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise Unprocessable(f"{what} must be a string")
    cleaned = unicodedata.normalize("NFC", value).replace("\x00", "").strip()
    if not cleaned:
        raise Unprocessable(f"{what} must not be empty")
    if len(cleaned) > limit:
        raise PayloadTooLarge(f"{what} is longer than {limit} characters")
    return cleaned


def _body(raw: Any, settings: Settings) -> Body:
    if isinstance(raw, str):
        return Body(iri=_iri_of(raw, "body"))
    if not isinstance(raw, dict):
        raise BadRequest("body must be an IRI or an object")
    kind = raw.get("type", raw.get("@type"))
    kinds = kind if isinstance(kind, list) else [kind]
    if "value" in raw or "TextualBody" in kinds:
        fmt = raw.get("format", "text/plain")
        if fmt != "text/plain":
            raise UnsupportedMediaType(f"text bodies are plain text (format text/plain), not {str(fmt)[:50]!r}; "
                                       "markup is never rendered")
        language = raw.get("language")
        if language is not None and (not isinstance(language, str) or not _LANG.match(language)):
            raise Unprocessable(f"language must be a language tag like 'nl' or 'en', got {str(language)[:50]!r}")
        title = raw.get("title", raw.get("dcterms:title"))
        when = raw.get("date", raw.get("dcterms:date"))
        if when is not None:
            try:
                when = date.fromisoformat(str(when)[:10]).isoformat() if len(str(when)) <= 10 else \
                    datetime.fromisoformat(str(when)).isoformat()
            except ValueError:
                raise Unprocessable("date must be an ISO 8601 date, e.g. 1953-02-01") from None
        return Body(value=_text(raw.get("value"), "body value", settings.annotation_max_text),
                    language=language, title=_text(title, "title", 200) if title is not None else None,
                    date=when)
    return Body(iri=_iri_of(raw, "body"))


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not a JSON number")


def parse(raw: bytes, settings: Settings) -> Draft:
    """A posted annotation as a draft, or a 4xx naming what is wrong. Nothing is read from the web."""
    if len(raw) > settings.annotation_max_bytes:
        raise PayloadTooLarge(f"An annotation may be at most {settings.annotation_max_bytes} bytes")
    try:
        doc = json.loads(raw, parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:  # also UnicodeDecodeError, JSONDecodeError, NaN
        raise BadRequest(f"Malformed JSON: {exc}") from None
    try:  # "\ud800" is valid JSON syntax but not text: no store (and no UTF-8 response) can hold it
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("Malformed JSON: a string holds a lone surrogate (\\ud800–\\udfff), not text") from None
    except RecursionError:
        raise BadRequest("Malformed JSON: nested too deeply") from None
    if not isinstance(doc, dict):
        raise BadRequest("An annotation is a JSON object")
    if "@context" not in doc:
        raise BadRequest(f'JSON-LD needs "@context": "{ANNO_CONTEXT}"')
    _check_context(doc["@context"])
    kind = doc.get("type", doc.get("@type"))
    if "Annotation" not in (kind if isinstance(kind, list) else [kind]):
        raise BadRequest('"type" must be "Annotation"')
    motivation = _one(doc.get("motivation"), "motivation")
    if motivation is None:
        raise Unprocessable(f"motivation is required: one of {', '.join(MOTIVATIONS)}")
    name = str(motivation).removeprefix("oa:").removeprefix(OA)
    if name == "moderating":
        raise Unprocessable("moderating is for moderators: POST /annotations/{id}/hide")
    if name not in MOTIVATIONS:
        raise Unprocessable(f"unknown motivation {str(motivation)[:50]!r}; use one of {', '.join(MOTIVATIONS)}")
    if "target" not in doc:
        raise Unprocessable("target is required: a place IRI, or an annotation IRI for a reply")
    target = _iri_of(_one(doc["target"], "target"), "target")
    bodies = []
    if "body" in doc:
        raw_bodies = doc["body"] if isinstance(doc["body"], list) else [doc["body"]]
        if len(raw_bodies) > 1:
            raise Unprocessable("one body per annotation")
        bodies = [_body(b, settings) for b in raw_bodies]
    if "bodyValue" in doc:
        if bodies:
            raise Unprocessable("send either body or bodyValue, not both")
        bodies = [Body(value=_text(doc["bodyValue"], "bodyValue", settings.annotation_max_text))]
    speaks = doc.get("speaksFor", doc.get("pvb:speaksFor"))
    return Draft(motivation=name, target=target, bodies=bodies,
                 speaks_for=_iri_of(speaks, "speaksFor") if speaks is not None else None,
                 id=doc.get("id") if isinstance(doc.get("id"), str) else None)


# Checks against the store ----------------------------------------------------------------------

@dataclass(frozen=True)
class Located:
    iri: str
    graph: str
    creator: str
    revision: str
    status: str | None
    target: str
    motivation: str

    @property
    def public(self) -> bool:
        return self.graph == ANNOTATIONS


def locate(store: GraphStore, iri: str) -> Located | None:
    if not is_iri(iri):
        return None
    rows = store.select(query("annotation_locate").bind(annotation=URIRef(iri)))
    if not rows:
        return None
    row = sorted(rows, key=lambda r: str(r["graph"]) != ANNOTATIONS)[0]
    return Located(iri=iri, graph=str(row["graph"]), creator=str(row["creator"]), revision=str(row["revision"]),
                   status=str(row["status"]) if "status" in row else None, target=str(row["target"]),
                   motivation=str(row["motivation"]).removeprefix(OA))


def _is_place(store: GraphStore, iri: str) -> bool:
    return store.ask(query("place_exists").bind(place=URIRef(iri)))


def _is_concept(store: GraphStore, iri: str) -> bool:
    return store.ask(query("concept_exists").bind(concept=URIRef(iri)))


def root_place(store: GraphStore, iri: str) -> str | None:
    return min(thread_places(store, [iri]), default=None)


def slug(label: str) -> str:
    flat = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", flat).strip("-")[:80]


def validate(store: GraphStore, settings: Settings, user: User, draft: Draft) -> list[tuple[str, str]]:
    """Check the draft against the graph; returns the folksonomy tags (IRI, label) it needs."""
    if draft.motivation == "replying":
        found = locate(store, draft.target)
        if found is None or not found.public:
            raise Unprocessable(f"target {draft.target!r} is not an annotation here; a reply targets an annotation")
    elif not _is_place(store, draft.target):
        raise Unprocessable(f"target {draft.target!r} is not a place here"
                            + ("; to answer an annotation use motivation replying"
                               if locate(store, draft.target) else ""))
    if draft.speaks_for is not None and not user.speaks_for(draft.speaks_for):
        raise Forbidden("Only staff and curators of an institution may post as that institution")
    tags: list[tuple[str, str]] = []
    bodies = draft.bodies
    if draft.motivation == "tagging":
        if len(bodies) != 1:
            raise Unprocessable("a tag needs one body: a SKOS concept IRI or a text tag")
        body = bodies[0]
        if body.iri is not None:
            if not _is_concept(store, body.iri):
                raise Unprocessable(f"body {body.iri!r} is not a known SKOS concept; send a text tag instead")
        else:
            label = " ".join((body.value or "").split())
            if len(label) > 60 or not slug(label):
                raise Unprocessable("a text tag is 1–60 characters with at least one letter or digit")
            tag = f"{settings.base_iri}id/tag/{slug(label)}"
            tags.append((tag, label))
            bodies[0] = Body(iri=tag)
    elif draft.motivation in ("commenting", "replying", "describing"):
        if len(bodies) != 1 or bodies[0].value is None:
            raise Unprocessable(f"{draft.motivation} needs one text body (TextualBody with a value)")
        if draft.motivation == "describing" and not bodies[0].title:
            raise Unprocessable("a story (describing) needs a title and a text")
    elif draft.motivation == "linking":
        if len(bodies) != 1 or bodies[0].iri is None:
            raise Unprocessable("a link needs one body: the IRI of a source, a place or a collection")
        if not bodies[0].iri.startswith(("http://", "https://")):
            raise Unprocessable("a linked source must be an http(s) IRI")
        if bodies[0].iri == draft.target:
            raise Unprocessable("a place cannot be linked to itself")
    elif draft.motivation == "bookmarking" and bodies:
        raise Unprocessable("a bookmark has no body")
    return tags


def address_hash(settings: Settings, address: str) -> str:
    return hmac.new(settings.secret_key.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def check_rate(store: GraphStore, settings: Settings, user: User, address: str) -> None:
    """Submissions are counted in the store, so the limits hold across workers and restarts."""
    window = timedelta(seconds=settings.rate_window_seconds)
    moment = now()
    since = _dt(moment - window)
    keys = [window_key(settings, moment - window), window_key(settings, moment)]
    for what, who, limit in (
        ("account", (URIRef(user.account), None), settings.rate_per_account),
        ("address", (None, Literal(address_hash(settings, address))), settings.rate_per_address),
    ):
        rows = {("window", "creator", "addressHash", "since"): [(key, *who, since) for key in keys]}
        row = store.select(query("annotation_activity").bind(rows=rows))[0]
        if int(row.get("n", 0)) >= limit:  # type: ignore[call-overload]
            oldest = datetime.fromisoformat(str(row["oldest"]))
            wait = max(1, int((oldest + window - moment).total_seconds()) + 1)
            raise TooManyRequests(f"Too many contributions from this {what}: at most {limit} per "
                                  f"{settings.rate_window_seconds} seconds", headers={"Retry-After": str(wait)})


def window_key(settings: Settings, moment: datetime) -> Literal:
    """The rate window a moment falls in, with the window's length (a changed setting starts afresh)."""
    seconds = settings.rate_window_seconds
    return Literal(f"{seconds}:{int(moment.timestamp()) // seconds}")


def submission_rows(settings: Settings, user: User, address: str, about: str, kind: str) -> list[tuple]:
    node = URIRef(f"urn:pvb:submission:{uuid.uuid4().hex}")
    moment = now()
    return [(node, RDF.type, URIRef(PVB + "Submission")), (node, URIRef(PVB + "about"), URIRef(about)),
            (node, URIRef(PVB + "account"), URIRef(user.account)), (node, URIRef(PVB + "kind"), Literal(kind)),
            (node, URIRef(PVB + "addressHash"), Literal(address_hash(settings, address))),
            (node, DCTERMS.created, _dt(moment)), (node, URIRef(PVB + "window"), window_key(settings, moment))]


def _check_duplicate(store: GraphStore, settings: Settings, user: User, draft: Draft, own: str | None) -> None:
    """The same text lately, or the same tag, link or bookmark on the same target: a 409."""
    body = draft.bodies[0] if draft.bodies else None
    creator = URIRef(user.agent)
    found: list[str] = []
    if body is not None and body.value is not None:
        found += [str(r["annotation"]) for r in store.select(query("annotation_same_text").bind(
            creator=creator, text=Literal(body.value),
            since=_dt(now() - timedelta(seconds=settings.duplicate_window_seconds))))]
    if draft.motivation in ("tagging", "linking", "bookmarking"):
        wanted = body.iri if body is not None and body.iri else None
        found += [str(r["annotation"]) for r in store.select(query("annotation_same_target").bind(
            creator=creator, target=URIRef(draft.target), motivation=URIRef(OA + draft.motivation)))
            if wanted is None or str(r.get("body")) == wanted]
    others = [a for a in found if a != own]
    if others:
        raise Conflict("You already posted this", headers={"Location": others[0]})


def _looks_like_spam(settings: Settings, draft: Draft) -> str | None:
    words = " ".join(f"{b.title or ''} {b.value or ''}" for b in draft.bodies)
    if len(_URL.findall(words)) > settings.spam_max_links:
        return f"more than {settings.spam_max_links} links"
    return None


def _count_by(store: GraphStore, agent: str) -> int:
    rows = store.select(query("annotation_count_by").bind(creator=URIRef(agent)))
    return int(rows[0].get("n", 0)) if rows else 0  # type: ignore[call-overload]


# Writing ---------------------------------------------------------------------------------------

def _quads(settings: Settings, iri: str, draft: Draft, user: User, created: Literal, modified: Literal | None,
           revision: str) -> list[tuple]:
    a = URIRef(iri)
    rows: list[tuple] = [
        (a, RDF.type, URIRef(OA + "Annotation")),
        (a, URIRef(OA + "motivatedBy"), URIRef(OA + draft.motivation)),
        (a, URIRef(OA + "hasTarget"), URIRef(draft.target)),
        (a, DCTERMS.creator, URIRef(user.agent)),
        (a, DCTERMS.created, created),
        (a, URIRef(AS + "generator"), URIRef(generator_iri(settings))),
        (a, URIRef(PVB + "revision"), Literal(revision)),
        (URIRef(generator_iri(settings)), RDF.type, URIRef(AS + "Application")),
        (URIRef(generator_iri(settings)), RDF.type, URIRef(PROV + "SoftwareAgent")),
        (URIRef(generator_iri(settings)), FOAF.name, Literal("Plaatsen van Betekenis")),
    ]
    if modified is not None:
        rows.append((a, DCTERMS.modified, modified))
    if draft.speaks_for:
        rows.append((a, URIRef(PVB + "speaksFor"), URIRef(draft.speaks_for)))
    if draft.via:
        rows.append((a, URIRef(OA + "via"), URIRef(draft.via)))
    for n, body in enumerate(draft.bodies):
        if body.iri is not None:
            rows.append((a, URIRef(OA + "hasBody"), URIRef(body.iri)))
            continue
        node = URIRef(f"{iri}#body-{n}")
        rows += [(a, URIRef(OA + "hasBody"), node), (node, RDF.type, URIRef(OA + "TextualBody")),
                 (node, RDF.value, Literal(body.value)), (node, DCTERMS.format, Literal("text/plain"))]
        if body.language:
            rows.append((node, DCTERMS.language, Literal(body.language)))
        if body.title:
            rows.append((node, DCTERMS.title, Literal(body.title)))
        if body.date:
            rows.append((node, DCTERMS.date, Literal(body.date)))
    return rows


def thread_places(store: GraphStore, annotations: Iterable[str]) -> set[str]:
    """The places annotations are about (a reply: the target of its thread's root), one thread
    level per query: threads are shallow, and a property path is not portable (see the query)."""
    places: set[str] = set()
    seen = frontier = set(annotations)
    while frontier:
        rows = list(store.select_values(query("annotation_targets").bind(
            annotation=[URIRef(i) for i in sorted(frontier)])))
        places |= {target for target, is_annotation in rows if target and is_annotation is None}
        frontier = {target for target, is_annotation in rows if target and is_annotation is not None} - seen
        seen = seen | frontier
    return places


def with_touch(update: str, places: Iterable[str]) -> str:
    """`update` plus a new social version for `places`, as one request (one transaction)."""
    chosen = sorted(set(places))
    if not chosen:
        return update
    return combine([update, query("social_touch").bind(place=[URIRef(p) for p in chosen],
                                                       version=Literal(uuid.uuid4().hex))])


def _public(motivations: set[str], places: Iterable[str]) -> bool:
    """Whether an annotation write can change cached views beyond its places' social contexts,
    which `with_touch` renews: a tag relates its place to every other place with that tag."""
    return "tagging" in motivations or not places


def _moderation_rows(settings: Settings, iri: str, action: str, by: str, reason: str | None) -> list[tuple]:
    node = URIRef(f"urn:pvb:moderation:{uuid.uuid4().hex}")
    rows = [(node, RDF.type, URIRef(OA + "Annotation")), (node, URIRef(OA + "motivatedBy"), URIRef(OA + "moderating")),
            (node, URIRef(OA + "hasTarget"), URIRef(iri)), (node, URIRef(PVB + "action"), Literal(action)),
            (node, DCTERMS.creator, URIRef(by)), (node, DCTERMS.created, _dt(now()))]
    if reason:
        rows.append((node, URIRef(OA + "bodyValue"), Literal(reason)))
    if action in ("hide", "hold"):
        rows.append((URIRef(iri), URIRef(PVB + "moderationStatus"), Literal("held" if action == "hold" else "hidden")))
    return rows


@dataclass
class Written:
    iri: str
    revision: str
    document: dict[str, Any]
    held: bool = False


def create(store: GraphStore, settings: Settings, user: User, raw: bytes, address: str) -> Written:
    draft = parse(raw, settings)
    check_rate(store, settings, user, address)
    tags = validate(store, settings, user, draft)
    _check_duplicate(store, settings, user, draft, None)
    iri = annotation_iri(settings, uuid.uuid4().hex)
    if draft.id:
        draft.via = draft.id if is_iri(draft.id) else None
    spam = _looks_like_spam(settings, draft)
    new_account = settings.hold_first_posts > 0 and _count_by(store, user.agent) < settings.hold_first_posts
    held = bool(spam) or (new_account and not user.is_moderator and not user.staff_of and not user.curator_of)
    revision = uuid.uuid4().hex
    graph = URIRef(MODERATION if held else ANNOTATIONS)
    rows = [(graph, *q) for q in _quads(settings, iri, draft, user, _dt(now()), None, revision)]
    private = submission_rows(settings, user, address, iri, "create")
    if held:
        private += _moderation_rows(settings, iri, "hold", generator_iri(settings),
                                    f"held for review: {spam}" if spam else "first posts of new accounts are reviewed")
    rows += [(URIRef(MODERATION), *q) for q in private]
    places = thread_places(store, [draft.target]) if draft.motivation == "replying" else {draft.target}
    store.update(with_touch(query("annotation_write").bind(
        annotation=URIRef(iri), rows={("g", "s", "p", "o"): rows, ("tag", "tagLabel", "scheme"): [
            (URIRef(t), Literal(label), URIRef(tag_scheme(settings))) for t, label in tags]}), places),
        public=_public({draft.motivation}, places))
    return Written(iri, revision, read(store, settings, iri, graph=str(graph)), held=held)


def _if_match(header: str | None, revision: str) -> None:
    if header is None:
        raise PreconditionRequired("Send If-Match with the ETag you last saw, so no one's edit is lost")
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    if "*" not in tags and f'"{revision}"' not in tags:
        raise PreconditionFailed("The annotation changed since you read it: GET it again, then retry")


def _mine(found: Located | None, user: User, iri: str, verb: str) -> Located:
    if found is None:
        raise NotFound(f"No annotation {iri!r}")
    if found.creator != user.agent:
        if not found.public and not user.is_moderator:
            raise NotFound(f"No annotation {iri!r}")
        raise Forbidden(f"Only the author may {verb} an annotation")
    return found


def replace(store: GraphStore, settings: Settings, user: User, iri: str, raw: bytes, if_match: str | None,
            address: str) -> Written:
    found = _mine(locate(store, iri), user, iri, "edit")
    _if_match(if_match, found.revision)
    draft = parse(raw, settings)
    if draft.id is not None and draft.id != iri:
        raise BadRequest(f"id {draft.id!r} does not match the annotation being replaced")
    check_rate(store, settings, user, address)
    tags = validate(store, settings, user, draft)
    _check_duplicate(store, settings, user, draft, iri)
    if draft.target != found.target and found.motivation == "replying":
        raise Unprocessable("a reply cannot be moved to another annotation")
    old = read(store, settings, iri, graph=found.graph)
    revision = uuid.uuid4().hex
    rows = [(URIRef(found.graph), *q) for q in _quads(settings, iri, draft, user,
                                                      Literal(old["created"], datatype=_XSD_DT), _dt(now()), revision)]
    rows += [(URIRef(MODERATION), *q) for q in submission_rows(settings, user, address, iri, "update")]
    places = thread_places(store, [iri, draft.target] if draft.motivation == "replying" else [iri]) | (
        set() if draft.motivation == "replying" else {draft.target})
    store.update(with_touch(query("annotation_write").bind(
        annotation=URIRef(iri), revision=Literal(found.revision), graph=URIRef(found.graph),
        rows={("g", "s", "p", "o"): rows, ("tag", "tagLabel", "scheme"): [
            (URIRef(t), Literal(label), URIRef(tag_scheme(settings))) for t, label in tags]}), places),
        public=_public({found.motivation, draft.motivation}, places))
    after = locate(store, iri)
    if after is None or after.revision != revision:
        raise PreconditionFailed("The annotation changed while you edited it: GET it again, then retry")
    return Written(iri, revision, read(store, settings, iri, graph=found.graph), held=not found.public)


def delete(store: GraphStore, user: User, iri: str, if_match: str | None) -> None:
    found = _mine(locate(store, iri), user, iri, "delete")
    if if_match is not None:
        _if_match(if_match, found.revision)
    places = thread_places(store, [iri])
    store.update(with_touch(query("annotation_delete").bind(
        annotation=URIRef(iri), revision=Literal(found.revision), graph=URIRef(found.graph)), places),
        public=_public({found.motivation}, places))
    if locate(store, iri) is not None:
        raise PreconditionFailed("The annotation changed while you deleted it: GET it again, then retry")


# Reading ---------------------------------------------------------------------------------------

def _triples(store: GraphStore, iris: list[str], graph: str = ANNOTATIONS) -> dict[str, dict[str, dict[str, list]]]:
    """annotation → subject → predicate → values."""
    found: dict[str, dict[str, dict[str, list]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    if not iris:
        return found
    # Lexical values only: building rdflib terms (dateTime literals above all) dominated context time.
    # Two plain patterns rather than one UNION: Oxigraph joins VALUES into each efficiently.
    suffix = "" if graph == ANNOTATIONS else "_private"
    for name in ("annotation_triples" + suffix, "annotation_bodies" + suffix):
        for annotation, subject, prop, value in store.select_values(query(name).bind(
                annotation=[URIRef(i) for i in iris])):
            found[annotation or ""][subject or ""][prop or ""].append(value)
    return found


def names(store: GraphStore, iris: set[str]) -> dict[str, str]:
    if not iris:
        return {}
    found: dict[str, list[Node]] = defaultdict(list)
    for row in store.select(query("agent_names").bind(agent=[URIRef(i) for i in sorted(iris)])):
        found[str(row["agent"])].append(row["name"])
    return {iri: text(pick(values, ["nl", "en"])) or iri for iri, values in found.items()}


def _v(props: dict[str, list], key: str) -> str | None:
    values = props.get(key) or []
    return str(values[0]) if values else None


def render(settings: Settings, iri: str, subjects: dict[str, dict[str, list]], known: dict[str, str]) -> dict:
    """The JSON-LD of one annotation, compacted against the anno.jsonld context (plus EXTRA_CONTEXT)."""
    props = subjects[iri]
    doc: dict[str, Any] = {"@context": [ANNO_CONTEXT, EXTRA_CONTEXT], "id": iri, "type": "Annotation",
                           "motivation": (_v(props, OA + "motivatedBy") or "").removeprefix(OA)}
    bodies = []
    for body in props.get(OA + "hasBody", []):
        node = subjects.get(str(body))
        if node is None or str(body) == iri:
            bodies.append(str(body))
            continue
        rendered = {"id": str(body), "type": "TextualBody", "value": _v(node, str(RDF.value)),
                    "format": _v(node, str(DCTERMS.format)) or "text/plain"}
        for key, prop in (("language", DCTERMS.language), ("title", DCTERMS.title), ("date", DCTERMS.date)):
            if _v(node, str(prop)):
                rendered[key] = _v(node, str(prop))
        bodies.append(rendered)
    if bodies:
        doc["body"] = bodies[0] if len(bodies) == 1 else bodies
    doc["target"] = _v(props, OA + "hasTarget")
    creator = _v(props, str(DCTERMS.creator))
    doc["creator"] = {"id": creator, "type": "Person", "name": known.get(creator or "")}
    speaks = _v(props, PVB + "speaksFor")
    if speaks:
        doc["speaksFor"] = {"id": speaks, "type": "Organization", "name": known.get(speaks)}
    doc["created"] = _v(props, str(DCTERMS.created))
    if _v(props, str(DCTERMS.modified)):
        doc["modified"] = _v(props, str(DCTERMS.modified))
    doc["generator"] = {"id": generator_iri(settings), "type": "Software", "name": "Plaatsen van Betekenis"}
    if _v(props, OA + "via"):
        doc["via"] = _v(props, OA + "via")
    return doc


def read(store: GraphStore, settings: Settings, iri: str, graph: str = ANNOTATIONS) -> dict:
    return read_many(store, settings, [iri], graph)[iri]


def read_many(store: GraphStore, settings: Settings, iris: list[str], graph: str = ANNOTATIONS) -> dict[str, dict]:
    found = _triples(store, iris, graph)
    agents = {_v(s[i], str(DCTERMS.creator)) or "" for i, s in found.items()} | {
        _v(s[i], PVB + "speaksFor") or "" for i, s in found.items()}
    known = names(store, agents - {""})
    return {i: render(settings, i, found[i], known) for i in iris if i in found}


def visible(store: GraphStore, iri: str, viewer: User | None) -> Located:
    """An annotation the viewer may see: public ones for everyone; held or hidden ones only for
    their author and moderators."""
    found = locate(store, iri)
    if found is None or not (found.public or (viewer is not None and (
            viewer.is_moderator or viewer.agent == found.creator))):
        raise NotFound(f"No annotation {iri!r}")
    return found


def as_graph(doc: dict, found: Located, store: GraphStore) -> Graph:
    """The stored triples of one annotation, for Turtle."""
    graph = Graph()
    graph.bind("oa", OA)
    graph.bind("dcterms", str(DCTERMS))
    graph.bind("pvb", PVB)
    graph.bind("as", AS)
    suffix = "" if found.public else "_private"
    for name in ("annotation_triples" + suffix, "annotation_bodies" + suffix):
        for row in store.select(query(name).bind(annotation=URIRef(found.iri))):
            if str(row["p"]) not in (PVB + "revision", PVB + "moderationStatus"):
                graph.add((row["s"], row["p"], row["o"]))
    return graph


def listing(store: GraphStore, *, target: str | None = None, motivation: str | None = None,
            creator: str | None = None) -> list[str]:
    if motivation is not None:
        motivation = motivation.removeprefix("oa:").removeprefix(OA)
        if motivation not in (*MOTIVATIONS, "moderating"):
            raise Unprocessable(f"unknown motivation {motivation[:50]!r}")
    for name, value in (("target", target), ("creator", creator)):
        if value is not None and not is_iri(value):
            raise BadRequest(f"{name} must be an absolute IRI")
    bound = query("annotation_list").bind(
        target=URIRef(target) if target else None, creator=URIRef(creator) if creator else None,
        motivation=URIRef(OA + motivation) if motivation else None)
    return [row[0] for row in store.select_values(bound) if row[0]]


def etag_of(revision: str) -> str:
    return f'"{revision}"'


SKOS_CONCEPT = str(SKOS.Concept)


# Place context, bookmarks and dialogue ---------------------------------------------------------

def _person(known: dict[str, str], iri: str | None) -> dict[str, Any] | None:
    return {"id": iri, "name": known.get(iri)} if iri else None


def _item(doc: dict) -> dict[str, Any]:
    """An annotation as the place context shows it (plain JSON, not JSON-LD)."""
    body = doc.get("body")
    speaks = doc.get("speaksFor")
    creator = doc["creator"]
    return {
        "id": doc["id"], "motivation": doc["motivation"], "created": doc.get("created"),
        "modified": doc.get("modified"),
        "creator": {"id": creator["id"], "name": creator.get("name")},
        "speaks_for": {"id": speaks["id"], "name": speaks.get("name")} if speaks else None,
        "official": speaks is not None,
        "text": body.get("value") if isinstance(body, dict) else None,
        "title": body.get("title") if isinstance(body, dict) else None,
        "date": body.get("date") if isinstance(body, dict) else None,
        "language": body.get("language") if isinstance(body, dict) else None,
        "body": body if isinstance(body, str) else None,
    }


def bookmarks(store: GraphStore, settings: Settings, user: User, prefs: list[str]) -> list[dict[str, Any]]:
    from .places import _labels

    iris = listing(store, motivation="bookmarking", creator=user.agent)
    docs = read_many(store, settings, iris)
    labels = _labels(store, {d["target"] for d in docs.values()}, prefs)
    return [{"id": i, "created": docs[i]["created"],
             "place": {"id": docs[i]["target"], "label": labels.get(docs[i]["target"])}} for i in iris if i in docs]


def institution_annotations(store: GraphStore, settings: Settings, institution: str, *,
                            motivation: str | None = None, since: datetime | None = None,
                            unanswered: bool = False, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Annotations on an institution's places: the places in datasets it publishes (dcterms:publisher
    in the catalogue) and the places its own stories, collections and sources are about."""
    if motivation is not None:
        motivation = motivation.removeprefix("oa:").removeprefix(OA)
        if motivation not in MOTIVATIONS:
            raise Unprocessable(f"unknown motivation {motivation[:50]!r}")
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    bound = query("institution_annotations").bind(
        institution=URIRef(institution), motivation=URIRef(OA + motivation) if motivation else None,
        since=_dt(since) if since else None)
    iris = [row[0] for row in store.select_values(bound) if row[0]]
    if unanswered and iris:
        answered = {str(r["annotation"]) for r in store.select(query("official_replies").bind(
            annotation=[URIRef(i) for i in iris], institution=URIRef(institution)))}
        iris = [i for i in iris if i not in answered]
    page = iris[offset:offset + limit]
    docs = read_many(store, settings, page)
    from .places import _labels

    labels = _labels(store, {d["target"] for d in docs.values()}, ["nl", "en"])
    items = []
    for iri in page:
        if iri in docs:
            item = _item(docs[iri])
            item["place"] = {"id": docs[iri]["target"], "label": labels.get(docs[iri]["target"])}
            items.append(item)
    return {"total": len(iris), "offset": offset, "limit": limit, "items": items}
