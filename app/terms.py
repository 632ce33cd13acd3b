"""Validated RDF terms and their SPARQL syntax: the only way user values reach a query."""

from __future__ import annotations

import math
import re

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from .errors import BadRequest

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x20\x7f]*$")
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_ESCAPES = str.maketrans(_ECHAR)


def is_iri(value: str) -> bool:
    return bool(_IRI.match(value))


def iri(value: str) -> URIRef:
    """An absolute IRI, or a 400 naming the bad value."""
    if not isinstance(value, str) or len(value) > 4096 or not _IRI.match(value):
        raise BadRequest(f"Not a valid absolute IRI: {str(value)[:200]!r}")
    return URIRef(value)


def is_true(value: object) -> bool:
    """A computed boolean from any engine: Virtuoso 7 answers `true` and BOUND() as the integer 1."""
    return str(value) in ("true", "1")


def sparql_term(term: Node | str | int | float | bool) -> str:
    """SPARQL syntax of one term; raises on anything that could break out of its position."""
    if isinstance(term, bool):
        return "true" if term else "false"
    if isinstance(term, int):
        return str(term)
    if isinstance(term, float):
        if not math.isfinite(term):
            raise BadRequest("Numbers must be finite")
        return f'"{term!r}"^^<{XSD.double}>'
    if isinstance(term, URIRef):
        value = str(term)
        if len(value) > 4096 or not _IRI.match(value):  # what iri() checks, without a new URIRef
            raise BadRequest(f"Not a valid absolute IRI: {value[:200]!r}")
        return f"<{value}>"
    if isinstance(term, Literal):
        text = '"' + str(term).translate(_ESCAPES) + '"'
        if term.language:
            if not _LANG.match(term.language):
                raise BadRequest(f"Not a valid language tag: {term.language!r}")
            return f"{text}@{term.language}"
        if term.datatype:
            return f"{text}^^<{iri(str(term.datatype))}>"
        return text
    if isinstance(term, str):  # a plain string literal, without building an rdflib Literal
        return '"' + term.translate(_ESCAPES) + '"'
    raise TypeError(f"Cannot bind {type(term).__name__} into SPARQL")


def to_oxigraph(term: Node, blanks: dict[str, ox.BlankNode] | None = None) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term read from the store as a pyoxigraph term (for private in-memory stores).
    With `blanks`, each blank node label becomes a fresh node, the same one for the same label:
    labels from a store (Virtuoso's `nodeID://b1`) need not be valid N-Triples labels."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return blanks.setdefault(str(term), ox.BlankNode()) if blanks is not None else ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))) if term.datatype \
            else ox.Literal(str(term))
    raise TypeError(f"Not an RDF term: {type(term).__name__}")
