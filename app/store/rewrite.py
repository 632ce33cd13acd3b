"""Rewrites of SPARQL Update text for engines with a narrower dialect (Virtuoso), in one place.

Virtuoso compiles a `VALUES` block into SQL and refuses big ones ("generated SQL text has exceeded
10000 lines"), and its parser runs out of memory on one huge `INSERT DATA`. An `INSERT { T }
WHERE { VALUES … }` whose WHERE holds nothing but VALUES blocks means exactly "insert T for each
row", so it is rewritten to `INSERT DATA` operations of bounded size, in the same request.
"""

from __future__ import annotations

import itertools
import re

_TOKEN = re.compile(
    r"""(?P<ws>\s+)|(?P<comment>\#[^\n]*)
    |(?P<iri><[^<>"{}|^`\\\s]*>)
    |(?P<literal>(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')(?:@[A-Za-z0-9-]+|\^\^(?:<[^<>\s]*>|[\w-]*:[\w.-]*))?)
    |(?P<var>[?$]\w+)
    |(?P<punct>[{}();.,])
    |(?P<word>[^\s{}();,"'<>\#]+|[<>]=?)""",
    re.VERBOSE,
)
MIN_ROWS = 200  # smaller VALUES blocks are fine on every engine
TRIPLES_PER_OPERATION = 1000


def tokens(text: str) -> list[tuple[str, str]]:
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind not in ("ws", "comment"):
            out.append((kind, match.group()))  # type: ignore[arg-type]
    return out


def _split_operations(toks: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    ops, current, depth = [], [], 0
    for tok in toks:
        if tok[1] in "{(" and tok[0] == "punct":
            depth += 1
        elif tok[1] in "})" and tok[0] == "punct":
            depth -= 1
        if tok == ("punct", ";") and depth == 0:
            ops.append(current)
            current = []
        else:
            current.append(tok)
    if current:
        ops.append(current)
    return ops


def _block(toks: list[tuple[str, str]], start: int) -> int:
    """Index just after the `{ … }` group opening at `start`."""
    depth = 0
    for i in range(start, len(toks)):
        if toks[i] == ("punct", "{"):
            depth += 1
        elif toks[i] == ("punct", "}"):
            depth -= 1
            if depth == 0:
                return i + 1
    raise ValueError("unbalanced braces")


def _values_blocks(body: list[tuple[str, str]]) -> list[tuple[list[str], list[list[str | None]]]] | None:
    """The VALUES blocks of a group holding nothing else, or None."""
    blocks, i = [], 0
    while i < len(body):
        if body[i][1].upper() != "VALUES":
            return None
        i += 1
        if body[i][0] == "var":
            names, i = [body[i][1][1:]], i + 1
            if body[i] != ("punct", "{"):
                return None
            end = _block(body, i)
            rows = [[None if t[1].upper() == "UNDEF" else t[1]] for t in body[i + 1:end - 1]]
        else:
            if body[i] != ("punct", "("):
                return None
            j = i + 1
            names = []
            while body[j][0] == "var":
                names.append(body[j][1][1:])
                j += 1
            if body[j] != ("punct", ")") or body[j + 1] != ("punct", "{"):
                return None
            end = _block(body, j + 1)
            rows, row = [], []
            for tok in body[j + 2:end - 1]:
                if tok[1] == "(":
                    row = []
                elif tok[1] == ")":
                    rows.append(row)
                else:
                    row.append(None if tok[1].upper() == "UNDEF" else tok[1])
        blocks.append((names, rows))
        i = end
    return blocks


def _rewrite_operation(op: list[tuple[str, str]], prefixes: dict[str, str]) -> list[str] | None:
    words = [t[1].upper() for t in op]
    try:
        at = words.index("INSERT")
    except ValueError:
        return None
    if at + 1 >= len(op) or op[at + 1] != ("punct", "{") or "DELETE" in words[:at]:
        return None
    template_end = _block(op, at + 1)
    if template_end >= len(op) or words[template_end] != "WHERE" or op[template_end + 1] != ("punct", "{"):
        return None
    where_end = _block(op, template_end + 1)
    if where_end != len(op):
        return None
    blocks = _values_blocks(op[template_end + 2:where_end - 1])
    if not blocks or max(len(rows) for _, rows in blocks) < MIN_ROWS:
        return None
    template = op[at + 2:template_end - 1]
    quads: list[tuple[str | None, str]] = []
    for combo in itertools.product(*[[dict(zip(names, row, strict=True)) for row in rows] for names, rows in blocks]):
        binding: dict[str, str | None] = {}
        for part in combo:
            binding.update(part)
        quads.extend(_instantiate(template, binding, prefixes))
    operations = []
    for start in range(0, len(quads), TRIPLES_PER_OPERATION):
        by_graph: dict[str | None, list[str]] = {}
        for graph, triple in quads[start:start + TRIPLES_PER_OPERATION]:
            by_graph.setdefault(graph, []).append(triple)
        # Virtuoso wants one GRAPH group per graph and no '.' between groups.
        parts = [" . ".join(by_graph[None]) + " ."] if None in by_graph else []
        parts += [f"GRAPH {g} {{ " + " . ".join(ts) + " }" for g, ts in by_graph.items() if g is not None]
        operations.append("INSERT DATA { " + " ".join(parts) + " }")
    return operations or ["INSERT DATA { }"]


def _instantiate(template: list[tuple[str, str]], binding: dict[str, str | None],
                 prefixes: dict[str, str]) -> list[tuple[str | None, str]]:
    """The ground triples of a template for one row; a triple with an unbound variable is skipped."""
    out: list[tuple[str | None, str]] = []
    graph: str | None = None
    triple: list[str] = []
    i = 0

    def value(tok: tuple[str, str]) -> str | None:
        kind, text = tok
        if kind == "var":
            return binding.get(text[1:])
        if kind == "word" and text == "a":
            return "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
        if kind == "word" and ":" in text:
            prefix, local = text.split(":", 1)
            if prefix + ":" in prefixes:
                return f"<{prefixes[prefix + ':']}{local}>"
        return text

    while i < len(template):
        tok = template[i]
        if tok[1].upper() == "GRAPH" and tok[0] == "word":
            graph, i = value(template[i + 1]) or "", i + 3  # skip the name and '{'
            continue
        if tok == ("punct", "}"):
            graph, i = None, i + 1
            continue
        if tok[1] in (".", ";", ",") and tok[0] == "punct":
            if tok[1] == ".":
                triple = []
            elif tok[1] == ";":
                triple = triple[:1]
            else:
                triple = triple[:2]
            i += 1
            continue
        triple.append(value(tok))  # type: ignore[arg-type]
        if len(triple) == 3 and None not in triple and graph != "":
            out.append((graph, " ".join(triple)))  # type: ignore[arg-type]
        i += 1
    return out


def blank_insert_data_as_template(update: str) -> str:
    """`INSERT DATA { … _:b … }` → `INSERT { … _:b … } WHERE {}`. Virtuoso 7 refuses blank nodes in
    INSERT DATA ("not allowed in a constant clause"); a template over one empty solution makes the
    same new nodes, one per label."""
    if "_:" not in update and "[" not in update:
        return update
    toks = tokens(update)
    out: list[str] = []
    changed = False
    i = 0
    while i < len(toks):
        if (toks[i][1].upper() == "INSERT" and i + 2 < len(toks) and toks[i + 1][1].upper() == "DATA"
                and toks[i + 2] == ("punct", "{")):
            end = _block(toks, i + 2)
            block = toks[i + 2:end]
            if any(kind == "word" and (text.startswith("_:") or "[" in text) for kind, text in block):
                out.extend(["INSERT", *(t[1] for t in block), "WHERE", "{", "}"])
                changed = True
                i = end
                continue
        out.append(toks[i][1])
        i += 1
    return " ".join(out) if changed else update


def split_big_inserts(update: str) -> str:
    """The update with every big VALUES-fed INSERT turned into bounded INSERT DATA operations."""
    if "VALUES" not in update.upper():
        return update
    toks = tokens(update)
    ops = _split_operations(toks)
    # New operations spell IRIs out in full: a prologue after ';' is not accepted by every engine.
    prefixes = {toks[i + 1][1]: toks[i + 2][1][1:-1] for i, t in enumerate(toks)
                if t[1].upper() == "PREFIX" and i + 2 < len(toks) and toks[i + 2][0] == "iri"}
    rewritten, changed = [], False
    for op in ops:
        new = _rewrite_operation(op, prefixes)
        if new is None:
            rewritten.append(" ".join(t[1] for t in op))
        else:
            rewritten.extend(new)
            changed = True
    return " ;\n".join(rewritten) if changed else update


def single_values_to_bind(update: str) -> str:
    """`VALUES ?x { term }` at the start of a group → `BIND(term AS ?x)`, `VALUES ?x { UNDEF }` → nothing.

    Virtuoso 7 fails ("string_output_string needs a string output") when an INSERT template's
    GRAPH name or predicate comes from VALUES; from BIND it works. At the start of a group the two
    mean the same. One row of several variables, `VALUES (?x ?y) { (a b) }`, becomes two BINDs.
    """
    if "VALUES" not in update.upper():
        return update
    toks = tokens(update)
    out: list[str] = []
    changed = False
    at_group_start = False
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        if (at_group_start and text.upper() == "VALUES" and i + 4 < len(toks) and toks[i + 1][0] == "var"
                and toks[i + 2] == ("punct", "{") and toks[i + 4] == ("punct", "}")
                and (toks[i + 3][0] in ("iri", "literal") or toks[i + 3][1] == "UNDEF")):
            if toks[i + 3][1] != "UNDEF":  # one row binding nothing joins as nothing at all
                out.append(f"BIND({toks[i + 3][1]} AS {toks[i + 1][1]})")
            changed = True
            i += 5
            continue
        row = _single_row(toks, i) if at_group_start and text.upper() == "VALUES" else None
        if row is not None:
            binds, i = row
            out.extend(binds)
            changed = True
            continue
        out.append(text)
        if kind == "punct" and text == "{":
            at_group_start = True
        elif text.upper() == "VALUES" and at_group_start:
            # another placeholder (several rows or UNDEF): stays VALUES, and the group start goes on after it
            j = i + 1
            while j < len(toks) and toks[j] != ("punct", "{"):
                j += 1
            end = _block(toks, j)
            out.extend(t[1] for t in toks[i + 1:end])
            i = end
            continue
        else:
            at_group_start = False
        i += 1
    return " ".join(out) if changed else update


def _single_row(toks: list[tuple[str, str]], i: int) -> tuple[list[str], int] | None:
    """`VALUES (?a ?b) { (t u) }` at toks[i] as BINDs (UNDEF binds nothing) and the index after it."""
    if i + 1 >= len(toks) or toks[i + 1] != ("punct", "("):
        return None
    j = i + 2
    names = []
    while j < len(toks) and toks[j][0] == "var":
        names.append(toks[j][1])
        j += 1
    if not names or toks[j:j + 3] != [("punct", ")"), ("punct", "{"), ("punct", "(")]:
        return None
    j += 3
    values = toks[j:j + len(names)]
    if any(kind not in ("iri", "literal") and text != "UNDEF" for kind, text in values):
        return None
    j += len(names)
    if toks[j:j + 2] != [("punct", ")"), ("punct", "}")]:
        return None
    binds = [f"BIND({value} AS {name})" for name, (_, value) in zip(names, values, strict=True) if value != "UNDEF"]
    return binds, j + 2


LEXICAL_SUFFIX = "__lexical"


def with_lexical_columns(query: str) -> tuple[str, list[str]]:
    """The query with `(STR(?v) AS ?v__lexical)` added for each plain `?v` of the top SELECT.

    Virtuoso writes xsd:double results with six significant digits (53.217949118521 → 53.2179)
    but STR() keeps them all; the store puts the full lexical form back. Extra columns that are
    functions of projected ones change neither DISTINCT nor GROUP BY results.
    """
    toks = tokens(query)
    try:
        start = next(i for i, t in enumerate(toks) if t[0] == "word" and t[1].upper() == "SELECT")
    except StopIteration:
        return query, []
    i, depth, names = start + 1, 0, []
    while i < len(toks):
        kind, text = toks[i]
        if depth == 0 and (text.upper() in ("WHERE", "FROM") or text == "{"):
            break
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        elif depth == 0 and kind == "var":
            names.append(text[1:])
        elif depth == 0 and text == "*":
            return query, []
        i += 1
    if not names or i >= len(toks):
        return query, []
    extra = " ".join(f"(STR(?{n}) AS ?{n}{LEXICAL_SUFFIX})" for n in names)
    head = " ".join(t[1] for t in toks[:i])
    tail = " ".join(t[1] for t in toks[i:])
    return f"{head} {extra} {tail}", names


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first keyword after the prologue (BASE, PREFIX)."""
    toks = tokens(query)
    i = 0
    while i < len(toks):
        word = toks[i][1].upper()
        if word == "BASE":
            i += 2
        elif word == "PREFIX":
            i += 3
        else:
            return word if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") else "SELECT"
    return "SELECT"
