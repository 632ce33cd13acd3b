"""The store's public generation: a random token that every write replaces unless it says it changes
nothing public views are cached from.

Views that read many things (a place's whole context, the annotation counts of a page of nearby
places) are cached per API worker under (generation, the places' social versions), read in one
small query before the view is built. Writes made by any worker or by the CLI replace the token,
so no worker serves a view older than its store. Writes that only touch private account data
(tokens, login failures), or annotations whose places get a new social version in the same update,
say `public=False` and leave cached views of other places alone.

A write that is one SPARQL update carries the new token in the same transaction. File loads get it
in a second update right after: a reader reads the token before the data, so what it caches in
between is already stamped with the old token and is never served after the new one.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from rdflib import Literal

from ..queries import combine, query

if TYPE_CHECKING:
    from .base import GraphStore


GRAPH = "urn:pvb:private:generation"
SUBJECT = "urn:pvb:generation"
PREDICATE = "https://w3id.org/pvb/ns#generation"


def current(store: GraphStore) -> str | None:
    """None while there is no single generation (a store no public write has reached yet): then
    nothing may be cached on it. Read on every request, so a key lookup (GraphStore.objects)."""
    values = store.objects(GRAPH, PREDICATE, [SUBJECT]).get(SUBJECT, [])
    return values[0] if len(values) == 1 else None


def touch() -> str:
    return query("generation_touch").bind(generation=Literal(uuid.uuid4().hex))


def stamped(update: str) -> str | None:
    """`update` and a new generation as one request, or None when they cannot be combined (an
    update with its own BASE): then the caller sends the touch separately, after the update."""
    try:
        return combine([update, touch()])
    except ValueError:
        return None


def ensure(store: GraphStore) -> None:
    """Give a store that has none (written before generations existed) its first generation."""
    if current(store) is None:
        store.update(touch(), public=False)  # the touch is the whole update
