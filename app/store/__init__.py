"""The store factory: the one place where the backend is chosen, from settings."""

from __future__ import annotations

from ..errors import StoreUnavailable
from ..settings import Settings
from .base import GraphStore, Row
from .embedded import EmbeddedStore

__all__ = ["GraphStore", "Row", "open_store"]


def open_store(settings: Settings) -> GraphStore:
    if settings.store_is_remote:
        raise StoreUnavailable("Remote SPARQL stores are not supported by this version")
    return EmbeddedStore(settings.store_path)
