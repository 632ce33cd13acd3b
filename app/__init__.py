"""Plaatsen van Betekenis: heritage places and the meaning people give them, as one RDF graph."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The project root: queries/, ontology/ and data/ live beside the package (editable install)."""
