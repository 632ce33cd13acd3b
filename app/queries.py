"""The named SPARQL queries in queries/*.rq, loaded once, with values bound through VALUES.

A query declares where values go with a placeholder block that is valid SPARQL on its own:
`VALUES ?place { UNDEF }` or `VALUES (?place ?cell) { (UNDEF UNDEF) }`. Binding replaces the
placeholder with validated terms; an unbound placeholder stays UNDEF (no constraint). The same
text runs on every SPARQL 1.1 store, and no user input is ever pasted into a query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path

from rdflib.term import Node

from . import ROOT
from .terms import sparql_term

QUERY_DIR = ROOT / "queries"
_PLACEHOLDER = re.compile(
    r"VALUES\s*(?P<vars>\?\w+|\((?:\s*\?\w+)+\s*\))\s*\{\s*(?:UNDEF|\((?:\s*UNDEF)+\s*\))\s*\}",
    re.IGNORECASE,
)

Bindable = Node | str | int | float | bool
_SCALAR = (Node, str, int, float, bool)


class Query:
    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.placeholders = [(tuple(re.findall(r"\?(\w+)", m.group("vars"))), m.span())
                             for m in _PLACEHOLDER.finditer(text)]
        # Runs of placeholders with only whitespace between them: bound to single values, a run
        # becomes one VALUES row. Oxigraph joins separate one-value VALUES tables late (a duplicate
        # check took ~40-80 ms at 100k annotations); as one row, ~0.2 ms. Same solutions.
        self.runs: list[list[int]] = []
        for n, (_, (start, _end)) in enumerate(self.placeholders):
            if self.runs and not text[self.placeholders[n - 1][1][1]:start].strip():
                self.runs[-1].append(n)
            else:
                self.runs.append([n])

    def bind(self, rows: Mapping[tuple[str, ...], Iterable[Sequence[Bindable | None]]] | None = None,
             **values: Bindable | Iterable[Bindable] | None) -> str:
        """The text with placeholders filled: `name=term`, `name=[terms]`, or
        `rows={("a", "b"): [(a1, b1), …]}` for a multi-variable block."""
        blocks: dict[tuple[str, ...], str] = {}
        single: dict[str, str] = {}  # variable → the one term it is bound to
        for name, value in values.items():
            if value is None:
                continue
            items = [value] if isinstance(value, _SCALAR) else list(value)
            terms = [sparql_term(v) for v in items]
            blocks[(name,)] = f"VALUES ?{name} {{ {' '.join(terms)} }}"
            if len(terms) == 1:
                single[name] = terms[0]
        for names, data in (rows or {}).items():
            body = " ".join(
                "(" + " ".join("UNDEF" if v is None else sparql_term(v) for v in row) + ")" for row in data)
            blocks[names] = f"VALUES ({' '.join('?' + n for n in names)}) {{ {body} }}"
        unknown = set(blocks) - {names for names, _ in self.placeholders}
        if unknown:
            raise ValueError(f"{self.name}: no VALUES placeholder for {sorted(unknown)}")
        replacements: list[tuple[int, int, str]] = []
        for run in self.runs:
            chosen = [self.placeholders[n] for n in run]
            names = [names for names, _ in chosen]
            one_row = all(len(ns) == 1 and (ns not in blocks or ns[0] in single) for ns in names)
            if len(run) > 1 and one_row and any(ns in blocks for ns in names):
                variables = " ".join("?" + ns[0] for ns in names)
                row = " ".join(single.get(ns[0], "UNDEF") for ns in names)
                replacements.append((chosen[0][1][0], chosen[-1][1][1], f"VALUES ({variables}) {{ ({row}) }}"))
                continue
            replacements += [(start, end, blocks[ns]) for ns, (start, end) in chosen if ns in blocks]
        text = self.text
        for start, end, block in reversed(replacements):
            text = text[:start] + block + text[end:]
        return text


@cache
def load_queries(directory: Path = QUERY_DIR) -> Mapping[str, Query]:
    return {path.stem: Query(path.stem, path.read_text(encoding="utf-8"))
            for path in sorted(directory.glob("*.rq"))}


def query(name: str) -> Query:
    return load_queries()[name]


_PROLOGUE_LINE = re.compile(r"^\s*(#.*|PREFIX\s+([\w-]*):\s*<([^>]*)>\s*|BASE\s*<[^>]*>\s*)?$", re.IGNORECASE)


def combine(updates: Sequence[str]) -> str:
    """Several update operations as ONE request (one transaction), their prologues hoisted to the front:
    Oxigraph does not accept a PREFIX after ';' (SPARQL allows it), and every store accepts this form."""
    prefixes: dict[str, str] = {}
    bodies = []
    for text in updates:
        lines = text.split("\n")
        start = 0
        while start < len(lines):
            match = _PROLOGUE_LINE.match(lines[start])
            if not match:
                break
            if match.group(2) is not None or (match.group(1) or "").upper().startswith("PREFIX"):
                name, value = match.group(2) or "", match.group(3)
                if prefixes.setdefault(name, value) != value:
                    raise ValueError(f"prefix {name}: bound to two IRIs in one combined update")
            elif (match.group(1) or "").upper().startswith("BASE"):
                raise ValueError("BASE cannot be combined")
            start += 1
        bodies.append("\n".join(lines[start:]))
    prologue = "".join(f"PREFIX {name}: <{value}>\n" for name, value in prefixes.items())
    return prologue + " ;\n".join(bodies)
