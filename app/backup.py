"""Whole-store backup as gzip N-Quads — every graph, private account data included — and restore."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import BinaryIO

from .errors import Conflict
from .store import GraphStore


def dump(store: GraphStore, out: BinaryIO) -> None:
    """Gzip N-Quads of one consistent snapshot of the store."""
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as zipped:
        store.dump(zipped)  # type: ignore[arg-type]


def dump_to_file(store: GraphStore, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as out:
        dump(store, out)
    partial.replace(path)  # a dump file is complete or absent, never half-written


def restore(store: GraphStore, source: BinaryIO) -> None:
    """Load a dump into an empty store; refuse to merge into existing data."""
    if store.quad_count():
        raise Conflict("Restore needs an empty store: this one holds data")
    with gzip.GzipFile(fileobj=source, mode="rb") as unzipped:
        # public=False: an exact copy, generation included (an empty store had none to cache under)
        store.load(unzipped, "application/n-quads", atomic=False, public=False)  # type: ignore[arg-type]


def copy_stream(source: BinaryIO, target: BinaryIO) -> None:
    shutil.copyfileobj(source, target, 1024 * 1024)
