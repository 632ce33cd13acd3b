"""Synthetic heritage places as N-Triples, for upload and crash tests."""

from __future__ import annotations

from collections.abc import Callable

DOUBLE = "^^<http://www.w3.org/2001/XMLSchema#double>"


def places_ntriples(base: str, count: int, label: Callable[[int], str], position: Callable[[int], tuple[float, float]],
                    identifier: Callable[[int], str]) -> bytes:
    """`count` pvb:HeritagePlaces under `base`, each with a Dutch label, WGS84 point and identifier."""
    lines = []
    for n in range(count):
        s = f"<{base}{n}>"
        lat, lon = position(n)
        lines += [f'{s} <http://www.w3.org/2000/01/rdf-schema#label> "{label(n)}"@nl .',
                  f'{s} <http://www.w3.org/2003/01/geo/wgs84_pos#lat> "{lat}"{DOUBLE} .',
                  f'{s} <http://www.w3.org/2003/01/geo/wgs84_pos#long> "{lon}"{DOUBLE} .',
                  f'{s} <http://purl.org/dc/terms/identifier> "{identifier(n)}" .',
                  f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/pvb/ns#HeritagePlace> ."]
    return ("\n".join(lines) + "\n").encode()
