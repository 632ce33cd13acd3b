"""`pvb`: serve the API and operate the store. Every command takes the same --store."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import BinaryIO

from .errors import Problem
from .settings import Settings

_STORE_OPTIONS = {"store": "PVB_STORE", "update_url": "PVB_UPDATE_URL", "graph_store_url": "PVB_GRAPH_STORE_URL"}


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {name: getattr(args, name) for name in _STORE_OPTIONS if getattr(args, name, None)}
    return Settings(**overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    for name, variable in _STORE_OPTIONS.items():
        if getattr(args, name, None):
            os.environ[variable] = getattr(args, name)  # workers build their settings from the environment
    uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level=Settings().log_level)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .loading import load_file
    from .store import open_store

    settings = _settings(args)
    store = open_store(settings)
    try:
        for name in args.files:
            path = Path(name)
            if not path.is_file():
                raise Problem(f"No such file: {path}", status=400, title="Bad Request")
            with tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name,
                      disable=args.quiet) as bar:
                def wrap(stream: BinaryIO, bar: tqdm = bar) -> BinaryIO:
                    return _ProgressReader(stream, bar)

                graphs = load_file(store, path, graph=args.graph, base_iri=settings.base_iri,
                                   media_type=args.format, atomic=False, wrap=wrap)
            print(f"{path}: loaded into {', '.join(graphs) or 'the default graph'}")
    finally:
        store.close()
    return 0


class _ProgressReader:
    """A file wrapper that advances a progress bar by the compressed bytes read."""

    def __init__(self, stream: BinaryIO, bar: object) -> None:
        self._stream, self._bar = stream, bar
        self._raw = getattr(stream, "fileobj", None) or stream
        self._last = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        position = self._raw.tell()
        self._bar.update(position - self._last)  # type: ignore[attr-defined]
        self._last = position
        return data

    def readinto(self, buffer: bytearray) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def cmd_stats(args: argparse.Namespace) -> int:
    from .spatial import PlaceIndex
    from .store import open_store

    store = open_store(_settings(args))
    try:
        graphs = store.named_graphs()
        print(f"triples: {store.quad_count()}")
        print(f"graphs:  {len(graphs)}")
        print(f"places:  {len(PlaceIndex(store).current())}")
        for graph in graphs:
            print(f"  {graph}")
    finally:
        store.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pvb", description="Plaatsen van Betekenis — places of meaning")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--store", help="store directory or SPARQL query URL (default: PVB_STORE or var/store)")
        p.add_argument("--update-url", help="SPARQL Update URL of a remote store (default: PVB_UPDATE_URL, "
                       "or derived from the query URL)")
        p.add_argument("--graph-store-url", help="Graph Store Protocol URL of a remote store (default: "
                       "PVB_GRAPH_STORE_URL, or derived from the query URL)")
        return p

    serve = command("serve", "Run the HTTP API (loads the sample data into an empty store first).")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    load = command("load", "Load RDF files (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD; .gz too).")
    load.add_argument("files", nargs="+")
    load.add_argument("--graph", help="named graph IRI for triple formats (default: {base}id/dataset/{file stem})")
    load.add_argument("--format", help="media type, when the file extension does not say")
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    load.set_defaults(func=cmd_load)

    stats = command("stats", "Count triples, graphs and places in the store.")
    stats.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Problem as exc:
        print(f"pvb {args.command}: {exc.detail}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
