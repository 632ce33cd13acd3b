"""SPARQL result serializers (JSON, XML, CSV, TSV) over pyoxigraph terms.

Written here rather than using pyoxigraph's own serializer because the endpoint must count rows
and check its deadline while results are produced, and pyoxigraph serializes a result in one call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
RESULT_MEDIA_TYPES = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_XSD = "http://www.w3.org/2001/XMLSchema#"


def _json_term(term: object) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                            "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
    raise TypeError(type(term).__name__)


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != _XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
                f"</predicate><object>{_xml_term(term.object)}</object></triple>")
    raise TypeError(type(term).__name__)


def _csv_field(term: object) -> str:
    if term is None:
        return ""
    value = f"_:{term.value}" if isinstance(term, ox.BlankNode) else str(term) if isinstance(term, ox.Triple) \
        else term.value  # type: ignore[attr-defined]
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _tsv_field(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal) and not term.language:
        datatype = term.datatype.value
        if datatype in (_XSD + "integer", _XSD + "decimal", _XSD + "double", _XSD + "boolean"):
            return term.value
    return str(term).replace("\t", "\\t")


def serialize_solutions(variables: Sequence[str], rows: Iterable[Sequence[object]], media_type: str) -> bytes:
    """`rows` are tuples of pyoxigraph terms (or None) in `variables` order."""
    if media_type == SPARQL_JSON:
        bindings = [{name: _json_term(value) for name, value in zip(variables, row, strict=True)
                     if value is not None} for row in rows]
        return json.dumps({"head": {"vars": list(variables)}, "results": {"bindings": bindings}},
                          ensure_ascii=False).encode()
    if media_type == SPARQL_XML:
        parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
        parts += [f"<variable name={quoteattr(name)}/>" for name in variables]
        parts.append("</head><results>")
        for row in rows:
            parts.append("<result>")
            parts += [f"<binding name={quoteattr(name)}>{_xml_term(value)}</binding>"
                      for name, value in zip(variables, row, strict=True) if value is not None]
            parts.append("</result>")
        parts.append("</results></sparql>\n")
        return "".join(parts).encode()
    if media_type == CSV:
        lines = [",".join(variables)] + [",".join(_csv_field(v) for v in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode()
    if media_type == TSV:
        lines = ["\t".join("?" + n for n in variables)] + ["\t".join(_tsv_field(v) for v in row) for row in rows]
        return ("\n".join(lines) + "\n").encode()
    raise ValueError(f"unsupported results format {media_type}")


def serialize_boolean(value: bool, media_type: str) -> bytes:
    if media_type == SPARQL_JSON:
        return json.dumps({"head": {}, "boolean": value}).encode()
    if media_type == SPARQL_XML:
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                f"<boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode()
    # CSV/TSV define no boolean form; this is what Jena and others send.
    sep = "\r\n" if media_type == CSV else "\n"
    return f"{'_askResult' if media_type == CSV else '?_askResult'}{sep}{'true' if value else 'false'}{sep}".encode()


_CSV_FIELD = re.compile(r'"((?:[^"]|"")*)"|([^,\r\n"]*)')


def parse_csv(text: str) -> list[list[str | None]]:
    """SPARQL CSV results as rows of fields, an unquoted empty field (unbound) as None.

    Python's csv module cannot tell `""` (an empty literal) from nothing (unbound)."""
    rows: list[list[str | None]] = []
    row: list[str | None] = []
    pos, end = 0, len(text)
    while pos < end:
        match = _CSV_FIELD.match(text, pos)
        quoted, plain = match.group(1), match.group(2)  # type: ignore[union-attr]
        row.append(quoted.replace('""', '"') if quoted is not None else (plain or None))
        pos = match.end()  # type: ignore[union-attr]
        if text.startswith(",", pos):
            pos += 1
            if pos == end:
                row.append(None)
            continue
        rows.append(row)
        row = []
        pos += 2 if text.startswith("\r\n", pos) else 1
    return rows
