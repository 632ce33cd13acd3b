"""Reading an uploaded file (RDF in six syntaxes, or CSV with a column mapping) into a private
in-memory Oxigraph store, ready to validate and load. No HTTP here.

Parsing is Oxigraph's (Rust): it never fetches a remote JSON-LD `@context` (no document loader is
set) and never resolves RDF/XML external entities. Quad formats are merged into the one dataset
graph. Syntax errors carry their line and column.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import Literal

from .errors import BadRequest, Unprocessable, UnsupportedMediaType
from .queries import query
from .terms import is_iri
from .validation import Report, syntax_report

FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
CSV = "text/csv"
# Syntaxes whose files are TriG as they are: a staged write reads such an upload itself (app/store/base.py).
TRIG_SYNTAX = {"text/turtle", "application/x-turtle", "application/n-triples", "text/plain"}
EXTENSIONS = {".ttl": "text/turtle", ".nt": "application/n-triples", ".nq": "application/n-quads",
              ".trig": "application/trig", ".rdf": "application/rdf+xml", ".owl": "application/rdf+xml",
              ".xml": "application/rdf+xml", ".jsonld": "application/ld+json", ".json": "application/ld+json",
              ".csv": CSV}
XSD = "http://www.w3.org/2001/XMLSchema#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SCHEMA = "https://schema.org/"
PVB = "https://w3id.org/pvb/ns#"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
DCTERMS = "http://purl.org/dc/terms/"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
WIKIDATA = "http://www.wikidata.org/entity/"

# The default CSV mapping: column name → what it means. A mapping document maps other column names
# onto these fields, or onto any property: {"columns": {"naam": "name", "bouwjaar":
# {"property": "https://w3id.org/pvb/ns#buildYearStart", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}}
CSV_FIELDS = ("id", "name", "lat", "lon", "description", "type", "municipality", "address", "wikidata", "url",
              "identifier")


def media_type(content_type: str | None, filename: str | None = None) -> str:
    """The supported media type a Content-Type (or, failing that, a file name) names; 415 otherwise."""
    value = (content_type or "").split(";")[0].strip().lower()
    if value in ("", "application/octet-stream") and filename:
        for ext, known in EXTENSIONS.items():
            if filename.lower().removesuffix(".gz").endswith(ext):
                return known
    if not value:
        raise UnsupportedMediaType("Name the file's format with Content-Type, e.g. text/turtle or text/csv")
    if value in FORMATS or value == CSV:
        return value
    raise UnsupportedMediaType(f"Unsupported format {value!r}; use one of: {', '.join(sorted({*FORMATS, CSV}))}")


# Compressed files are not inflated (a few kB can inflate to gigabytes): they are named and refused.
_COMPRESSED = {b"\x1f\x8b": "gzip", b"PK\x03\x04": "zip", b"BZh": "bzip2", b"\xfd7zXZ": "xz",
               b"(\xb5/\xfd": "zstd", b"7z\xbc\xaf": "7z"}
MAX_LITERAL_CHARS = 100_000  # a description longer than a novella chapter is a mistake or an attack
# RDF/XML may declare entities (ontology editors abbreviate namespaces with them); Oxigraph expands
# them, so nested or long ones are an entity bomb ("billion laughs") and are refused before parsing.
MAX_ENTITY_CHARS = 512
MAX_PROLOGUE_BYTES = 1024 * 1024
_ENTITY = re.compile(rb"<!ENTITY\s+(?:%\s+)?\S+\s+(?:\"([^\"]*)\"|'([^']*)'|(SYSTEM|PUBLIC)\b)")
_ROOT = re.compile(rb"<[^?!]")


def refuse_compressed(head: bytes) -> None:
    for magic, name in _COMPRESSED.items():
        if head.startswith(magic):
            raise UnsupportedMediaType(f"This is a {name}-compressed file: upload it uncompressed "
                                       "(compressed uploads are not unpacked)")


def check_xml_entities(head: bytes) -> None:
    """Refuse an RDF/XML prologue whose entities could expand without bound; `head` holds at least
    the prologue (everything before the root element) or MAX_PROLOGUE_BYTES."""
    root = _ROOT.search(head)
    prologue = head[:root.start()] if root else head
    if root is None and len(head) >= MAX_PROLOGUE_BYTES:
        raise Unprocessable(f"The RDF/XML prologue is longer than {MAX_PROLOGUE_BYTES} bytes")
    for match in _ENTITY.finditer(prologue):
        value = match.group(1) if match.group(1) is not None else match.group(2)
        if value is None:
            continue  # external entities are never fetched; the parser reports them
        if b"&" in value or b"%" in value or len(value) > MAX_ENTITY_CHARS:
            raise Unprocessable("RDF/XML entity declarations may not nest or exceed "
                                f"{MAX_ENTITY_CHARS} characters (entity expansion is refused)")


class _Prefixed:
    """A stream whose first bytes were already read (to look at them) and are put back in front."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head, self._rest = head, rest

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            out, self._head = self._head + self._rest.read(), b""
            return out
        out, self._head = self._head[:size], self._head[size:]
        return out + self._rest.read(size - len(out)) if len(out) < size else out


def _peek(stream: IO[bytes], size: int) -> tuple[bytes, IO[bytes]]:
    """The first `size` bytes, and a stream that still reads from the start (seekable or not)."""
    if getattr(stream, "seekable", lambda: False)():
        position = stream.tell()
        head = stream.read(size)
        stream.seek(position)
        return head, stream
    chunks, got = [], 0
    while got < size and (chunk := stream.read(size - got)):
        chunks.append(chunk)
        got += len(chunk)
    head = b"".join(chunks)
    return head, _Prefixed(head, stream)  # type: ignore[return-value]


def _long_literals(data: ox.Store) -> Report | None:
    rows = list(data.query(query("upload_long_literal").bind(limit=Literal(MAX_LITERAL_CHARS)),
                           use_default_graph_as_union=True))  # the upload sits in its dataset graph
    if not rows:
        return None
    subject, predicate, length = rows[0]
    return syntax_report(f"A literal of {length.value} characters ({subject} {predicate}) is longer than "
                         f"the limit of {MAX_LITERAL_CHARS}")


@dataclass
class Parsed:
    """One upload in a private store (in one graph), or the syntax report that stopped it."""

    data: ox.Store | None
    report: Report | None = None
    csv_rows: int = 0


def parse(stream: IO[bytes], media: str, base_iri: str, mapping: dict[str, Any] | None = None,
          graph: str | None = None) -> Parsed:
    """The upload in a private in-memory store, in `graph` (the default graph if None): the store
    then holds exactly the quads a new dataset adds, ready for one bulk write."""
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    fmt = FORMATS.get(media)
    head, stream = _peek(stream, MAX_PROLOGUE_BYTES if fmt == ox.RdfFormat.RDF_XML else 8)
    refuse_compressed(head)
    if media == CSV:
        return _parse_csv(stream, base_iri, mapping, target)
    if fmt == ox.RdfFormat.RDF_XML:
        check_xml_entities(head)
    data = ox.Store()
    try:
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            data.extend(ox.Quad(q.subject, q.predicate, q.object, target)
                        for q in ox.parse(stream, fmt, base_iri=base_iri))
        else:
            data.load(stream, fmt, base_iri=base_iri, to_graph=target)
    except SyntaxError as exc:
        line, column = _position(exc)
        return Parsed(None, syntax_report(f"Syntax error: {exc.msg or exc}", line, column))
    except ValueError as exc:  # e.g. invalid UTF-8
        return Parsed(None, syntax_report(f"Cannot read the file: {exc}"))
    if len(data) == 0:
        raise Unprocessable("The file holds no triples")
    too_long = _long_literals(data)
    return Parsed(None, too_long) if too_long else Parsed(data)


def _position(exc: SyntaxError) -> tuple[int | None, int | None]:
    args = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], tuple) else ()
    line = args[1] if len(args) > 1 else exc.lineno
    column = args[2] if len(args) > 2 else exc.offset
    return line, column


# CSV -------------------------------------------------------------------------------------------

def _decode(raw: bytes) -> str | Report:
    """CSV text is UTF-8 (a byte order mark is fine). Another encoding is named, not guessed: a
    Latin-1 'é' read as UTF-8 would fail later, or worse, turn into mojibake in the graph."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return syntax_report("The CSV file is UTF-16: save it as UTF-8 (in Excel: 'CSV UTF-8')", 1, 1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - raw.rfind(b"\n", 0, exc.start)
        return syntax_report(f"The CSV file is not UTF-8: byte 0x{raw[exc.start]:02x} at line {line} is not valid "
                             "UTF-8 (Latin-1 or Windows-1252?); save it as UTF-8 (in Excel: 'CSV UTF-8')", line, column)


def _rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    if reader.fieldnames is None:
        raise Unprocessable("The CSV file is empty: it needs a header row")
    yield 0, {name: name for name in reader.fieldnames}
    for row in reader:
        yield reader.line_num, row


def _column_map(header: list[str], mapping: dict[str, Any] | None) -> dict[str, Any]:
    """column → field name or property spec; refuses mappings that name missing columns."""
    columns: dict[str, Any] = {c: c.strip().lower() for c in header if c and c.strip().lower() in CSV_FIELDS}
    if mapping:
        given = mapping.get("columns", mapping)
        if not isinstance(given, dict):
            raise Unprocessable("A CSV mapping is a JSON object {\"columns\": {column: field or {property…}}}")
        missing = sorted(set(given) - set(header))
        if missing:
            raise Unprocessable(f"The mapping names columns the CSV does not have: {', '.join(missing)}",
                                errors=[{"column": m, "message": "no such column"} for m in missing])
        for column, target in given.items():
            named = isinstance(target, str) and target in CSV_FIELDS
            if named or isinstance(target, dict) and is_iri(str(target.get("property", ""))):
                columns[column] = target
            elif target is None:
                columns.pop(column, None)
            else:
                raise Unprocessable(f"Column {column!r}: map it to one of {', '.join(CSV_FIELDS)} "
                                    "or to {\"property\": IRI, \"datatype\": IRI|\"iri\", \"language\": tag}")
    fields = set(v for v in columns.values() if isinstance(v, str))
    needed = {"id", "name", "lat", "lon"} - fields
    if needed:
        raise Unprocessable(f"The CSV needs columns for {', '.join(sorted(needed))} (or a mapping naming them)")
    return columns


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def _number(value: str) -> str:
    """A coordinate as an xsd:double lexical form; a bad one is kept so validation names it."""
    text = value.strip().replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return value
    return repr(number) if math.isfinite(number) else value


def _parse_csv(stream: IO[bytes], base_iri: str, mapping: dict[str, Any] | None,
               graph: ox.NamedNode | ox.DefaultGraph) -> Parsed:
    data = ox.Store()
    decoded = _decode(stream.read())
    if isinstance(decoded, Report):
        return Parsed(None, decoded)
    rows = _rows(decoded)
    _, header = next(rows)
    columns = _column_map(list(header), mapping)
    language = (mapping or {}).get("language", "nl")
    quads: list[ox.Quad] = []
    count = 0
    try:
        for _line, row in rows:
            count += 1
            quads += _row_quads(row, columns, base_iri, language)
    except csv.Error as exc:
        return Parsed(None, syntax_report(f"Cannot read the CSV file: {exc}"))
    if not count:
        raise Unprocessable("The CSV file has no rows")
    data.extend(ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads)
    too_long = _long_literals(data)
    return Parsed(None, too_long) if too_long else Parsed(data, csv_rows=count)


def _literal(value: str, datatype: str | None = None, language: str | None = None) -> ox.Literal:
    if language:
        return ox.Literal(value, language=language)
    return ox.Literal(value, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(value)


def _row_quads(row: dict[str, str], columns: dict[str, Any], base_iri: str, language: str) -> list[ox.Quad]:
    values = {field: (row.get(column) or "").strip() for column, field in columns.items() if isinstance(field, str)}
    key = values.get("id", "")
    if not key:
        raise Unprocessable("Every CSV row needs an id")
    place = ox.NamedNode(base_iri + "place/" + quote(key, safe=""))
    quads = [ox.Quad(place, RDF_TYPE, ox.NamedNode(PVB + "HeritagePlace"))]

    def add(prop: str, obj: ox.NamedNode | ox.Literal, subject: ox.NamedNode = place) -> None:
        quads.append(ox.Quad(subject, ox.NamedNode(prop), obj))

    if values.get("name"):
        add(RDFS_LABEL, _literal(values["name"], language=language))
    add(GEO + "lat", _literal(_number(values.get("lat", "")), XSD + "double"))
    add(GEO + "long", _literal(_number(values.get("lon", "")), XSD + "double"))
    if values.get("description"):
        add(DCTERMS + "description", _literal(values["description"], language=language))
    if values.get("type"):
        t = values["type"]
        root = base_iri.split("id/dataset/")[0]
        add(DCTERMS + "type", ox.NamedNode(t if is_iri(t) else root + "id/type/" + _slug(t)))
    if values.get("municipality"):
        add(PVB + "municipality", _literal(values["municipality"]))
    if values.get("identifier"):
        add(DCTERMS + "identifier", _literal(values["identifier"]))
    if values.get("address"):
        address = ox.NamedNode(place.value + "#address")
        add(SCHEMA + "address", address)
        quads.append(ox.Quad(address, RDF_TYPE, ox.NamedNode(SCHEMA + "PostalAddress")))
        add(SCHEMA + "streetAddress", _literal(values["address"]), address)
    if values.get("wikidata"):
        qid = values["wikidata"].rsplit("/", 1)[-1]
        if re.fullmatch(r"Q[0-9]+", qid):
            add(OWL_SAME_AS, ox.NamedNode(WIKIDATA + qid))
    if values.get("url") and is_iri(values["url"]):
        add(SCHEMA + "url", ox.NamedNode(values["url"]))
    for column, spec in columns.items():
        if isinstance(spec, dict) and (row.get(column) or "").strip():
            value = row[column].strip()
            datatype = spec.get("datatype")
            if datatype == "iri":
                if not is_iri(value):
                    continue
                obj: ox.NamedNode | ox.Literal = ox.NamedNode(value)
            else:
                obj = _literal(value, datatype if datatype and is_iri(datatype) else None, spec.get("language"))
            add(spec["property"], obj)
    return quads


def read_mapping(text: str | bytes | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        mapping = json.loads(text)
    except ValueError as exc:
        raise BadRequest(f"The CSV mapping is not valid JSON: {exc}") from exc
    if not isinstance(mapping, dict):
        raise BadRequest("The CSV mapping must be a JSON object")
    return mapping
