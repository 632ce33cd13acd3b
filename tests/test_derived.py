"""The bulk derive path (for `pvb load`) leaves the same cells and a version, like the atomic one."""

import io

from app.derived import derive_geo, derived_graph
from app.geo import cell_keys
from app.spatial import PlaceIndex
from app.store.embedded import EmbeddedStore

GRAPH = "https://example.org/g"
TTL = """@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://example.org/a> geo:lat "53.2179"^^xsd:double ; geo:long "6.1628"^^xsd:double .
<https://example.org/b> geo:lat "52.37"^^xsd:double ; geo:long "4.89"^^xsd:double , "4.90"^^xsd:double .
<https://example.org/c> geo:lat "91"^^xsd:double ; geo:long "4.89"^^xsd:double .
"""


def cells(store):
    text = f"SELECT ?p ?c WHERE {{ GRAPH <{derived_graph(GRAPH)}> {{ ?p <https://w3id.org/pvb/ns#geoCell> ?c }} }}"
    return set(store.select_values(text))


def test_bulk_and_atomic_derive_write_the_same_cells():
    found = {}
    for atomic in (True, False):
        store = EmbeddedStore(None)
        store.load(io.BytesIO(TTL.encode()), "text/turtle", graph=GRAPH)
        assert derive_geo(store, GRAPH, atomic=atomic) == 9
        derive_geo(store, GRAPH, atomic=atomic)  # again: replaced, not added to
        found[atomic] = cells(store)
        assert len(PlaceIndex(store).current()) == 3  # b twice (two longitudes), c out of range
        versions = "SELECT ?v WHERE { GRAPH ?d { ?g <https://w3id.org/pvb/ns#geoVersion> ?v } }"
        assert len(list(store.select_values(versions))) == 1
    points = [("https://example.org/a", 53.2179, 6.1628), ("https://example.org/b", 52.37, 4.89),
              ("https://example.org/b", 52.37, 4.90)]
    expected = {(p, k) for p, lat, lon in points for k in cell_keys(lat, lon)}
    assert found[True] == found[False] == expected
