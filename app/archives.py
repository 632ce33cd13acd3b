"""The kept previous version of a dataset: its triples as gzip-compressed N-Triples, cut into
base64 text parts, in a private archive graph.

Why packed and not as triples: an archive is written with every new version and read only by a
rollback. Reified triples (three quads a triple) made replacing a 100k-triple dataset take 40 s
and 1.2 GB; packed, the archive is one quad per `PART_CHARS` of text (~1 quad per 10k triples),
and no pattern on the union of graphs can mistake it for live data. Archives written before this
format (reified) are still read.
"""

from __future__ import annotations

import base64
import gzip
import io
import zlib
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef

from .errors import StoreUnavailable
from .queries import query
from .store import GraphStore
from .terms import to_oxigraph

PART_CHARS = 256 * 1024
COMPRESSION = 3  # gzip level: 1M triples (130 MB of N-Triples) pack to ~10 MB in ~2 s


def archive_iri(key: str, version: int) -> str:
    return f"urn:pvb:private:archive:{key}:{version}"


def pack(ntriples: Path) -> list[str]:
    """The file's bytes, gzip-compressed and base64-encoded, in parts of at most PART_CHARS."""
    buffer = io.BytesIO()
    with ntriples.open("rb") as src, gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=COMPRESSION,
                                                   mtime=0) as packed:
        while chunk := src.read(1 << 20):
            packed.write(chunk)
    text = base64.b64encode(buffer.getvalue()).decode("ascii")
    return [text[start:start + PART_CHARS] for start in range(0, len(text), PART_CHARS)] or [""]


def unpack(parts: list[str]) -> bytes:
    try:
        return gzip.decompress(base64.b64decode("".join(parts), validate=True))
    except (ValueError, OSError, EOFError, zlib.error) as exc:
        raise StoreUnavailable(f"A kept version cannot be read back: {exc}") from exc


def archive_update(dataset: str, key: str, version: int, triples: int, media: str | None, parts: list[str]) -> str:
    archive = archive_iri(key, version)
    return query("dataset_archive").bind(
        {("dataset", "version", "triples", "format"):
         [(URIRef(dataset), Literal(version), Literal(triples), Literal(media) if media else None)],
         ("part", "index", "content"):
         [(URIRef(f"{archive}:part:{i}"), Literal(i), text) for i, text in enumerate(parts)]},
        archive=URIRef(archive))


def read_archive(store: GraphStore, archive: str, graph: str) -> ox.Store:
    """The archived triples in a private in-memory store, in `graph`: like a parsed upload."""
    data = ox.Store()
    parts = sorted((int(index or 0), content or "") for index, content in
                   store.select_values(query("archive_parts").bind(archive=URIRef(archive))))
    target = ox.NamedNode(graph)
    if parts:
        data.bulk_load(unpack([content for _, content in parts]), ox.RdfFormat.N_TRIPLES, to_graph=target)
        return data
    blanks: dict[str, ox.BlankNode] = {}
    data.extend(ox.Quad(to_oxigraph(row["s"], blanks), to_oxigraph(row["p"]), to_oxigraph(row["o"], blanks),
                        target)
                for row in store.select(query("archive_reified").bind(archive=URIRef(archive))))
    return data
