"""The store factory: the one place where the backend is chosen, from settings."""

from __future__ import annotations

from ..settings import Settings
from .base import GraphStore, Row

__all__ = ["GraphStore", "Row", "open_store"]


def open_store(settings: Settings) -> GraphStore:
    """A path is the embedded store; an http(s) URL is a remote SPARQL 1.1 store's query URL."""
    if settings.store_is_remote:
        from .remote import RemoteStore

        return RemoteStore(settings.store, update_url=settings.update_url, graph_store_url=settings.graph_store_url,
                           user=settings.store_user, password=settings.store_password,
                           timeout=settings.store_timeout)
    from .embedded import EmbeddedStore

    return EmbeddedStore(settings.store_path)
