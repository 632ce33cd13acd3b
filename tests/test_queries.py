"""Every named query parses, and values reach queries only as validated, escaped terms."""

import pytest
from rdflib import Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parser import parseUpdate

from app.errors import BadRequest
from app.queries import Query, load_queries
from app.store.embedded import EmbeddedStore
from app.terms import iri, sparql_term

QUERIES = load_queries()


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_file_parses(name):
    text = QUERIES[name].text
    if any(word in text.upper() for word in ("INSERT", "DELETE ")) and "SELECT" not in text.upper():
        parseUpdate(text)
    else:
        prepareQuery(text)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_sparqlwrapper_sends_every_query_where_it_belongs(name):
    """SPARQLWrapper, which the remote stores use, finds a request's form by searching its text for
    keywords, comments half included: "upload" in a comment made a SELECT a LOAD, sent as an update."""
    from SPARQLWrapper import SPARQLWrapper

    text = QUERIES[name].text
    body = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith(("#", "PREFIX"))]
    form = body[0].split()[0].upper()
    detected = SPARQLWrapper("http://localhost/")._parseQueryType(text)
    if form in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
        assert detected == form
    else:
        assert detected in ("INSERT", "DELETE", "CLEAR", "DROP")


def test_binding_fills_every_placeholder_of_that_name():
    q = Query("t", "SELECT * WHERE { VALUES ?a { UNDEF } ?a ?p ?o { VALUES ?a { UNDEF } } }")
    assert q.bind(a=URIRef("urn:x")).count("VALUES ?a { <urn:x> }") == 2


def test_binding_an_unknown_variable_is_a_programming_error():
    with pytest.raises(ValueError, match="no VALUES placeholder"):
        Query("t", "SELECT * WHERE { VALUES ?a { UNDEF } }").bind(b=1)


@pytest.mark.parametrize("bad", ["http://x> } ; DROP ALL ; <urn:y", "no scheme", "urn:a b", 'urn:"', "urn:{x}", ""])
def test_hostile_iris_are_refused(bad):
    with pytest.raises(BadRequest):
        iri(bad)
    with pytest.raises(BadRequest):
        sparql_term(URIRef(bad))


@pytest.mark.parametrize("hostile", ['" } ; DROP ALL ; #', '\\" . }', "line\nbreak\t\"quote\"", "\\u0022"])
def test_hostile_literals_round_trip_as_data(hostile):
    store = EmbeddedStore(None)
    store.update('INSERT DATA { <urn:s> <urn:p> "keep" }')
    before = store.quad_count()  # the data and the store's generation
    q = Query("t", "SELECT ?o WHERE { VALUES ?text { UNDEF } BIND(?text AS ?o) }")
    rows = store.select(q.bind(text=Literal(hostile)))
    assert [str(r["o"]) for r in rows] == [hostile]
    assert store.quad_count() == before


def test_language_tags_are_validated():
    with pytest.raises((BadRequest, ValueError)):
        sparql_term(Literal("x", lang="en } ; DROP ALL"))
