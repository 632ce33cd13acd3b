"""Browser pages: static HTML with vendored libraries (no CDN), filled with a few values."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"


@cache
def _template(name: str) -> str:
    return (WEB_DIR / name).read_text(encoding="utf-8")


def sparql_page(base_iri: str) -> str:
    """The query page; example queries name graphs under this server's base IRI."""
    examples = json.loads(_template("sparql-examples.json").replace("{base}", base_iri))
    data = json.dumps(examples, ensure_ascii=False).replace("</", "<\\/")  # safe inside <script>
    return _template("sparql.html").replace("/*EXAMPLES*/[]", data)
