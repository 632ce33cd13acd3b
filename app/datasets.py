"""Curated datasets: upload, validate, version, roll back and delete, each change one transaction.

Every change to a dataset is ONE write (one transaction on every store): the previous version is
archived, the graph's changed triples deleted and added, the derived geo cells and version
recomputed, the catalogue record and the link suggestions rewritten, all together. A new dataset
is only additions: one staged write (GraphStore.staged_write) that the embedded store starts
loading while the upload is still being validated and linked, and commits only if that succeeds.
So a failed or invalid upload changes nothing, readers never see half a dataset, and a crash
leaves the old or the new version, never a mix. A new version writes only the lines that differ
from the stored ones (app/graphdiff.py); the previous version is kept packed in a private archive
graph (app/archives.py), and a rollback is a new version made of it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from .accounts import User, institutions
from .archives import archive_update, pack, read_archive
from .derived import derived_graph, derived_lines
from .errors import Conflict, Forbidden, NotFound, PayloadTooLarge, Unprocessable
from .graphdiff import diff, lines
from .lang import pick, text
from .linking import new_places, suggest, suggestions_update
from .queries import combine, query
from .spatial import PlaceIndex
from .store import GraphStore
from .terms import iri
from .uploads import TRIG_SYNTAX, parse
from .validation import Report, validate_store

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
# One new version is one transaction, which Oxigraph holds in memory: ~4.5 kB for each triple
# it deletes or adds (measured at 1M changes); this bounds it to ~1.4 GB.
MAX_CHANGED_TRIPLES = 300_000
_busy: set[str] = set()
_busy_lock = threading.Lock()


class ValidationFailed(Unprocessable):
    """An upload that did not validate; carries the report for content negotiation."""

    def __init__(self, report: Report) -> None:
        self.report = report
        first = report.results[0].message if report.results else ""
        super().__init__(f"The data does not validate: {report.violations} violation(s), "
                         f"{report.warnings} warning(s). First: {first}",
                         errors=[r.as_json() for r in report.results[:1000]])


@dataclass
class Metadata:
    title: str
    license: str
    description: str | None = None


def dataset_iri(base_iri: str, key: str) -> str:
    if not KEY.match(key or ""):
        raise Unprocessable("A dataset id is 2–64 characters: lower-case letters, digits and '-'")
    return f"{base_iri}id/dataset/{key}"


def key_for(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:64] or "dataset"


def check_metadata(meta: Metadata) -> Metadata:
    title = " ".join((meta.title or "").split())
    if not 1 <= len(title) <= 300:
        raise Unprocessable("title is required (1–300 characters)")
    if not meta.license:
        raise Unprocessable("license is required: an IRI such as http://creativecommons.org/publicdomain/zero/1.0/")
    iri(meta.license)
    if meta.description is not None and len(meta.description) > 10_000:
        raise Unprocessable("description is at most 10,000 characters")
    return Metadata(title, meta.license, meta.description or None)


@contextmanager
def exclusive(dataset: str) -> Iterator[None]:
    """One change at a time per dataset: a second concurrent upload gets 409, not a lost update."""
    with _busy_lock:
        if dataset in _busy:
            raise Conflict("This dataset is being changed by another request; try again when it is done")
        _busy.add(dataset)
    try:
        yield
    finally:
        with _busy_lock:
            _busy.discard(dataset)


# Reading --------------------------------------------------------------------------------------

def records(store: GraphStore, dataset: str | None = None, prefs: list[str] | None = None) -> list[dict[str, Any]]:
    prefs = prefs or ["en", "nl"]
    found: dict[str, dict[str, list]] = {}
    for row in store.select(query("dataset_records").bind(dataset=URIRef(dataset) if dataset else None)):
        found.setdefault(str(row["dataset"]), {}).setdefault(str(row["key"]), []).append(row["value"])
    names = institutions(store, sorted({str(p) for r in found.values() for p in r.get("publisher", [])})) \
        if found else {}
    out = []
    for ds, values in sorted(found.items()):
        def one(key: str, values: dict = values) -> str | None:
            return str(values[key][0]) if values.get(key) else None

        publisher = one("publisher")
        out.append({
            "id": one("identifier") or ds.rsplit("/", 1)[-1],
            "iri": ds,
            "title": text(pick(values.get("title", []), prefs)),
            "description": text(pick(values.get("description", []), prefs)),
            "license": one("license"),
            "publisher": {"id": publisher, "name": names.get(publisher or "", publisher)} if publisher else None,
            "issued": one("issued"),
            "modified": one("modified"),
            "uploader": one("uploader"),
            "triples": int(one("triples") or 0),
            "version": int(one("version") or 1),
            "format": one("format"),
        })
    return out


def get_record(store: GraphStore, dataset: str) -> dict[str, Any]:
    found = records(store, dataset)
    if not found:
        raise NotFound(f"No dataset {dataset.rsplit('/', 1)[-1]!r}")
    record = found[0]
    archives = _archives(store, dataset)
    record["previous_version"] = archives[0]["version"] if archives else None
    return record


def _archives(store: GraphStore, dataset: str) -> list[dict[str, Any]]:
    rows = store.select(query("dataset_archives").bind(dataset=URIRef(dataset)))
    return sorted(({"archive": str(r["archive"]), "version": int(r["version"]), "triples": int(r["triples"]),
                    "format": str(r["format"]) if "format" in r else None} for r in rows),
                  key=lambda a: -a["version"])


def export(store: GraphStore, dataset: str) -> Graph:
    get_record(store, dataset)
    return store.construct(query("dataset_data").bind(graph=URIRef(dataset)))


# Writing --------------------------------------------------------------------------------------

def validate_upload(stream: IO[bytes], media: str, data_base: str, mapping: dict | None,
                    graph: str | None = None) -> tuple[ox.Store | None, Report]:
    """Parse into a private in-memory store (in `graph`) and validate there: nothing touches the store."""
    parsed = parse(stream, media, data_base, mapping, graph)
    if parsed.data is None:
        assert parsed.report is not None
        return None, parsed.report
    return parsed.data, validate_store(parsed.data)


def may_change(user: User, publisher: str | None) -> None:
    if publisher is None or not user.curates(publisher):
        raise Forbidden("Only a curator of the publishing institution may change this dataset")


def choose_publisher(user: User, institution: str | None) -> str:
    if institution:
        if not user.curates(institution):
            raise Forbidden("You are not a curator of that institution")
        return institution
    if len(user.curator_of) == 1:
        return next(iter(user.curator_of))
    if not user.curator_of:
        raise Forbidden("Only curators of an institution may upload datasets")
    raise Unprocessable("You curate several institutions: say which one publishes this dataset (institution=IRI)")


def _now() -> Literal:
    return Literal(datetime.now(UTC).isoformat(timespec="seconds"), datatype=XSD.dateTime)


def _dump(data: ox.Store, path: Path) -> Path:
    """A private store as a TriG file (a staged write's part): a big upload is never one big Python string."""
    with path.open("wb") as out:
        data.dump(out, ox.RdfFormat.TRIG)
    return path


def _catalogue_update(dataset: str, key: str, meta: Metadata, publisher: str, issued: Literal, user: User,
                      triples: int, version: int, media: str) -> str:
    row = (URIRef(dataset), Literal(key), Literal(meta.title), Literal(meta.description) if meta.description else None,
           URIRef(meta.license), URIRef(publisher), issued, _now(), URIRef(user.agent), Literal(triples),
           Literal(version), Literal(media))
    names = ("dataset", "key", "title", "description", "license", "publisher", "issued", "modified", "uploader",
             "triples", "version", "format")
    return query("dataset_catalogue_replace").bind({names: [row]}, dataset=URIRef(dataset))


def _existing(store: GraphStore, dataset: str) -> dict[str, Any] | None:
    found = records(store, dataset)
    return found[0] if found else None


def _check_clash(index: PlaceIndex, dataset: str, points: list[tuple[str, float, float]]) -> None:
    """Places of the upload that already belong to another dataset: an IRI clash."""
    others = set(index.current().iris) - index.places_of(dataset)
    clashes = sorted(p for p, _, _ in points if p in others)
    if clashes:
        raise Conflict(f"{len(clashes)} place IRI(s) of this upload already belong to another dataset, "
                       f"e.g. {clashes[0]}: mint your own IRIs (link them to the others after upload)",
                       errors=[{"iri": c} for c in clashes[:100]])


@dataclass
class Version:
    """Everything a version of a dataset writes besides its own triples, derived from them."""

    number: int
    points: list[tuple[str, float, float]]  # its places, whose geo cells it writes
    geo_version: str
    updates: list[str]  # its catalogue record and link suggestions


def _version(store: GraphStore, index: PlaceIndex, dataset: str, key: str, meta: Metadata, publisher: str,
             user: User, existing: dict[str, Any] | None, data: ox.Store, media: str, number: int,
             points: list[tuple[str, float, float]] | None = None) -> Version:
    points = new_places(data) if points is None else points
    issued = Literal(existing["issued"], datatype=XSD.dateTime) if existing and existing["issued"] else _now()
    return Version(number, points, f"{key}:{number}:{datetime.now(UTC).timestamp()}", [
        _catalogue_update(dataset, key, meta, publisher, issued, user, len(data), number, media),
        suggestions_update(dataset, suggest(store, index, dataset, data, points)),
    ])


def _next_number(store: GraphStore, dataset: str, existing: dict[str, Any] | None) -> int:
    if existing is None:
        return 1
    return max([existing["version"]] + [a["version"] for a in _archives(store, dataset)]) + 1


def _additions(path: Path, dataset: str, version: Version) -> Path:
    """A new dataset's derived quads as one TriG part of its staged write, in absolute IRIs only:
    its catalogue record and suggestions (a few quads, through a private store) and its cells,
    written as N-Triples lines in the derived graph's block."""
    extra = ox.Store()
    extra.update(combine(version.updates))
    with path.open("wb") as out:
        extra.dump(out, ox.RdfFormat.TRIG)
        out.write(f"\n{ox.NamedNode(derived_graph(dataset))} {{\n".encode())
        out.writelines(derived_lines(dataset, version.points, version.geo_version))
        out.write(b"}\n")
    return path


def _write_version(store: GraphStore, dataset: str, key: str, existing: dict[str, Any] | None, data: ox.Store,
                   version: Version, tmp: Path) -> None:
    """Replace a dataset's triples and cells with `data`'s in ONE write that deletes and adds only the
    lines that differ (app/graphdiff.py), keeping the replaced version packed (app/archives.py)."""
    old = tmp / "old.nt"
    with old.open("wb") as out:
        store.dump_graph(dataset, out)
    parts = [query("dataset_archives_drop").bind(dataset=URIRef(dataset))]
    if existing is not None:
        parts.append(archive_update(dataset, key, existing["version"], existing["triples"], existing["format"],
                                    pack(old)))
    new = tmp / "new.nt"
    with new.open("wb") as out:
        data.dump(out, ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(dataset))
    data.clear()  # its memory is free before the store's write needs its own
    derived = derived_graph(dataset)
    old_cells = tmp / "old-cells.nt"
    with old_cells.open("wb") as out:
        store.dump_graph(derived, out)
    added = tmp / "added.nq"
    with added.open("wb") as out:
        triples = diff(dataset, lines(old), lines(new), out)
        cells = diff(derived, lines(old_cells), derived_lines(dataset, version.points, version.geo_version), out)
    changed = triples.changed + cells.changed
    if changed > MAX_CHANGED_TRIPLES:
        raise PayloadTooLarge(
            f"This version changes {changed:,} triples (cells included) of the dataset; one new version may change "
            f"at most {MAX_CHANGED_TRIPLES:,}, because it is written in one transaction. Delete the dataset and "
            "upload it again, which has no such limit")
    store.write(combine(parts + triples.update() + cells.update() + version.updates), added)


def save(store: GraphStore, index: PlaceIndex, base_iri: str, user: User, key: str, meta: Metadata,
         stream: IO[bytes], media: str, *, mapping: dict | None = None, institution: str | None = None,
         replace: bool = False, dry_run: bool = False) -> tuple[dict[str, Any] | None, Report]:
    """Create (or with `replace`, re-upload) a dataset; returns its record and the report.

    Nothing is written unless the data parses and validates without violations."""
    dataset = dataset_iri(base_iri, key)
    existing = _existing(store, dataset)
    if replace:
        if existing is None:
            raise NotFound(f"No dataset {key!r}")
        publisher = existing["publisher"]["id"] if existing["publisher"] else None
        may_change(user, publisher)
        assert publisher is not None
        meta = Metadata(meta.title or existing["title"] or key, meta.license or existing["license"] or "",
                        meta.description if meta.description is not None else existing["description"])
    else:
        publisher = choose_publisher(user, institution)
        if existing is not None:
            owner = existing["publisher"]["id"] if existing["publisher"] else None
            if owner != publisher:
                raise Conflict(f"The dataset IRI {dataset} belongs to another institution")
            raise Conflict(f"Dataset {key!r} exists: PUT /datasets/{key} uploads a new version")
        if store.ask(query("graph_has_data").bind(graph=URIRef(dataset))):
            raise Conflict(f"The graph {dataset} already holds data that is not a curated dataset")
    meta = check_metadata(meta)
    with exclusive(dataset), tempfile.TemporaryDirectory(prefix="pvb-upload-") as tmp:
        if existing is None and not dry_run and not store.ask(
                query("graph_has_data").bind(graph=URIRef(derived_graph(dataset)))):
            record, report = _create(store, index, dataset, key, meta, publisher, user, stream, media, mapping,
                                     Path(tmp))
            return record, report
        parsed = parse(stream, media, dataset + "/", mapping, dataset)
        if parsed.data is None:
            assert parsed.report is not None
            if dry_run:
                return None, parsed.report
            raise ValidationFailed(parsed.report)
        data = parsed.data
        report, points = _validate(index, dataset, data, dry_run=dry_run)
        if dry_run or not report.accepted:
            return None, report
        version = _version(store, index, dataset, key, meta, publisher, user, existing, data, media,
                           _next_number(store, dataset, existing), points)
        _write_version(store, dataset, key, existing, data, version, Path(tmp))
    _written(index, dataset, version)
    return get_record(store, dataset), report


def _written(index: PlaceIndex, dataset: str, version: Version) -> None:
    """This worker's spatial index takes the written version's places here, in the writer's thread,
    and not in the next nearby request, which runs on the event loop (app/api/deps.py: answer)."""
    index.adopt(dataset, version.geo_version, version.points)
    index.current()


def _create(store: GraphStore, index: PlaceIndex, dataset: str, key: str, meta: Metadata, publisher: str,
            user: User, stream: IO[bytes], media: str, mapping: dict | None,
            tmp: Path) -> tuple[dict[str, Any], Report]:
    """A new dataset removes nothing: its whole change is additions, ONE staged write. The store
    starts on it at once: on the uploaded file itself when its syntax is TriG's (Turtle,
    N-Triples), else on the parsed copy; meanwhile the copy is linked, and validated last, so the
    store has every part before the longest step. An abort anywhere leaves the store as it was."""
    with store.staged_write(dataset, dataset + "/") as staged:
        if media in TRIG_SYNTAX:
            upload = tmp / "upload"
            with upload.open("wb") as out:
                shutil.copyfileobj(stream, out, 1 << 20)
            staged.add(upload)
            with upload.open("rb") as copy:
                parsed = parse(copy, media, dataset + "/", mapping, dataset)
        else:
            parsed = parse(stream, media, dataset + "/", mapping, dataset)
            if parsed.data is not None:
                staged.add(_dump(parsed.data, tmp / "data.trig"))
        if parsed.data is None:
            assert parsed.report is not None
            raise ValidationFailed(parsed.report)
        data = parsed.data
        try:
            version = _version(store, index, dataset, key, meta, publisher, user, None, data, media, 1)
        except Exception:
            _validate(index, dataset, data, dry_run=False)  # an invalid upload gets its report, not this error
            raise
        staged.add(_additions(tmp / "derived.trig", dataset, version))
        report, _ = _validate(index, dataset, data, dry_run=False, points=version.points)
        data.clear()  # its memory is free before the store's commit needs its own
    _written(index, dataset, version)
    return get_record(store, dataset), report


def _validate(index: PlaceIndex, dataset: str, data: ox.Store, *, dry_run: bool,
              points: list[tuple[str, float, float]] | None = None) -> tuple[Report, list[tuple[str, float, float]]]:
    """The report, and the upload's places (`points`, if already read) if it may be written.
    Raises ValidationFailed (unless `dry_run`) or Conflict, before any commit."""
    report = validate_store(data)
    if not report.accepted and not dry_run:
        raise ValidationFailed(report)
    if not report.accepted or dry_run:
        return report, []
    points = new_places(data) if points is None else points
    _check_clash(index, dataset, points)
    return report, points


def rollback(store: GraphStore, index: PlaceIndex, base_iri: str, user: User, key: str) -> dict[str, Any]:
    """Restore the kept previous version; the replaced one is kept in turn (so rollback undoes itself).
    Its link suggestions are computed afresh: the other datasets may have changed since."""
    dataset = dataset_iri(base_iri, key)
    existing = _existing(store, dataset)
    if existing is None:
        raise NotFound(f"No dataset {key!r}")
    publisher = existing["publisher"]["id"] if existing["publisher"] else None
    may_change(user, publisher)
    assert publisher is not None
    with exclusive(dataset):
        archives = _archives(store, dataset)
        if not archives:
            raise Conflict("There is no previous version to roll back to")
        previous = archives[0]
        data = read_archive(store, previous["archive"], dataset)
        meta = Metadata(existing["title"] or key, existing["license"] or "", existing["description"])
        version = _version(store, index, dataset, key, meta, publisher, user, existing, data,
                           previous["format"] or existing["format"] or "", previous["version"])
        with tempfile.TemporaryDirectory(prefix="pvb-rollback-") as tmp:
            _write_version(store, dataset, key, existing, data, version, Path(tmp))
    _written(index, dataset, version)
    return get_record(store, dataset)


def delete(store: GraphStore, base_iri: str, user: User, key: str) -> None:
    dataset = dataset_iri(base_iri, key)
    existing = _existing(store, dataset)
    if existing is None:
        raise NotFound(f"No dataset {key!r}")
    may_change(user, existing["publisher"]["id"] if existing["publisher"] else None)
    with exclusive(dataset):
        store.update(combine([
            query("dataset_delete").bind(dataset=URIRef(dataset)),
            query("drop_derived_geo").bind(derived=URIRef(derived_graph(dataset))),
        ]))
