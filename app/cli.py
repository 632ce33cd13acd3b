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
    settings = Settings()
    uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level=settings.log_level, access_log=False, timeout_graceful_shutdown=30,
                log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG)
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


def cmd_validate(args: argparse.Namespace) -> int:
    import json

    from .datasets import validate_upload
    from .uploads import media_type, read_mapping

    path = Path(args.file)
    if not path.is_file():
        raise Problem(f"No such file: {path}", status=400, title="Bad Request")
    media = media_type(args.format, path.name) if args.format else media_type(None, path.name)
    mapping = read_mapping(Path(args.mapping).read_text(encoding="utf-8")) if args.mapping else None
    with path.open("rb") as stream:
        _, report = validate_upload(stream, media, Settings().base_iri + "id/dataset/validate/", mapping)
    if args.turtle:
        print(report.as_graph().serialize(format="turtle"))
    elif args.json:
        print(json.dumps(report.as_json(limit=10_000), indent=2))
    else:
        for r in report.results[: args.max]:
            where = f"line {r.line}, column {r.column}: " if r.line else ""
            target = f"{r.focus} {r.path or ''}".strip()
            print(f"{r.severity}: {where}{target}: {r.message}" + (f" (value {r.value})" if r.value else ""))
        print(f"{path}: {report.triples} triples, {report.violations} violation(s), {report.warnings} warning(s)")
    return 0 if report.accepted else 1


def cmd_datasets_upload(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .accounts import User, ensure_institution
    from .datasets import Metadata, dataset_iri, key_for, records, save
    from .spatial import PlaceIndex
    from .store import open_store
    from .uploads import media_type, read_mapping

    settings = _settings(args)
    path = Path(args.file)
    if not path.is_file():
        raise Problem(f"No such file: {path}", status=400, title="Bad Request")
    media = media_type(args.format, path.name) if args.format else media_type(None, path.name)
    mapping = read_mapping(Path(args.mapping).read_text(encoding="utf-8")) if args.mapping else None
    store = open_store(settings)
    try:
        institution = ensure_institution(store, settings.base_iri, args.institution)
        operator = User(account="urn:pvb:private:operator", agent=settings.base_iri + "id/agent/operator",
                        username="operator", display_name="Operator (command line)",
                        curator_of=frozenset({institution}))
        key = args.id or key_for(args.title)
        exists = bool(records(store, dataset_iri(settings.base_iri, key)))
        with path.open("rb") as raw, tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name,
                                          disable=args.quiet) as bar:
            stream = _ProgressReader(raw, bar)
            record, report = save(store, PlaceIndex(store), settings.base_iri, operator, key,
                                  Metadata(args.title, args.license, args.description), stream, media,  # type: ignore
                                  mapping=mapping, institution=institution, replace=exists)
        assert record is not None
        print(f"{record['id']}: version {record['version']}, {record['triples']} triples, "
              f"{report.warnings} warning(s), published by {institution}")
    finally:
        store.close()
    return 0


def cmd_users_create(args: argparse.Namespace) -> int:
    from .accounts import create_account, ensure_institution, grant
    from .store import open_store

    settings = _settings(args)
    store = open_store(settings)
    try:
        global_roles = ("visitor", args.role) if args.role in ("moderator", "admin") else ("visitor",)
        user = create_account(store, settings.base_iri, args.username, args.password,
                              args.display_name or args.username, email=args.email, roles=global_roles)
        if args.role in ("staff", "curator"):
            if not args.institution:
                raise Problem(f"--role {args.role} needs --institution NAME", status=400, title="Bad Request")
            institution = ensure_institution(store, settings.base_iri, args.institution)
            grant(store, user, args.role, institution)
            print(f"{user.username}: {args.role} of {institution}")
        else:
            print(f"{user.username}: {', '.join(global_roles)}")
    finally:
        store.close()
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from .accounts import list_accounts
    from .store import open_store

    store = open_store(_settings(args))
    try:
        for user in list_accounts(store):
            places = [f"staff:{i}" for i in sorted(user.staff_of)] + [f"curator:{i}" for i in sorted(user.curator_of)]
            print("\t".join([user.username, user.display_name, ",".join(sorted(user.roles)), " ".join(places)]))
    finally:
        store.close()
    return 0


def cmd_dump(args: argparse.Namespace) -> int:
    from .backup import dump_to_file
    from .store import open_store

    target = Path(args.file)
    if args.server:
        import httpx

        partial = target.with_name(target.name + ".partial")
        headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
        timeout = httpx.Timeout(30.0, read=600.0)
        with httpx.stream("GET", args.server.rstrip("/") + "/admin/dump", headers=headers, timeout=timeout) as response:
            if response.status_code != 200:
                raise Problem(f"the server answered {response.status_code}: {response.read().decode()[:300]}",
                              status=400, title="Bad Request")
            with partial.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        partial.replace(target)
    else:
        store = open_store(_settings(args))
        try:
            dump_to_file(store, target)
        finally:
            store.close()
    print(f"dumped to {target}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from .backup import restore
    from .store import open_store

    store = open_store(_settings(args))
    try:
        with Path(args.file).open("rb") as source:
            restore(store, source)
        print(f"restored {store.quad_count()} quads")
    finally:
        store.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pvb", description="Plaatsen van Betekenis — places of meaning")
    sub = parser.add_subparsers(dest="command", required=True)

    def store_options(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--store", help="store directory or SPARQL query URL (default: PVB_STORE or var/store)")
        p.add_argument("--update-url", help="SPARQL Update URL of a remote store (default: PVB_UPDATE_URL, "
                       "or derived from the query URL)")
        p.add_argument("--graph-store-url", help="Graph Store Protocol URL of a remote store (default: "
                       "PVB_GRAPH_STORE_URL, or derived from the query URL)")
        return p

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return store_options(sub.add_parser(name, help=help_text, description=help_text))

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

    validate = sub.add_parser("validate", help="Validate a file against the SHACL shapes (exit 1 on violations).")
    validate.add_argument("file")
    validate.add_argument("--format", help="media type, when the file extension does not say")
    validate.add_argument("--mapping", help="CSV mapping document (JSON)")
    validate.add_argument("--json", action="store_true", help="the report as JSON")
    validate.add_argument("--turtle", action="store_true", help="the report as a Turtle sh:ValidationReport")
    validate.add_argument("--max", type=int, default=200, help="print at most this many results")
    validate.set_defaults(func=cmd_validate)

    datasets = sub.add_parser("datasets", help="Curated datasets.").add_subparsers(dest="datasets_command",
                                                                                   required=True)
    upload = datasets.add_parser("upload", help="Validate and load a dataset (a new version when it exists).")
    upload.add_argument("--store")
    upload.add_argument("file")
    upload.add_argument("--title", required=True)
    upload.add_argument("--license", required=True, help="license IRI")
    upload.add_argument("--institution", required=True, help="publishing institution name (created when new)")
    upload.add_argument("--description")
    upload.add_argument("--id", help="dataset id (default: from the title)")
    upload.add_argument("--format", help="media type, when the file extension does not say")
    upload.add_argument("--mapping", help="CSV mapping document (JSON)")
    upload.add_argument("--quiet", action="store_true", help="no progress bar")
    upload.set_defaults(func=cmd_datasets_upload)

    dump = command("dump", "Write the whole store (all graphs, private account data too) as gzip N-Quads.")
    dump.add_argument("file")
    dump.add_argument("--server", help="dump through a running server (needed for an embedded store in use)")
    dump.add_argument("--token", help="an admin's bearer token, with --server")
    dump.set_defaults(func=cmd_dump)

    restore = command("restore", "Load a dump into an empty store.")
    restore.add_argument("file")
    restore.set_defaults(func=cmd_restore)

    users = sub.add_parser("users", help="Manage accounts.").add_subparsers(dest="users_command", required=True)
    create = store_options(users.add_parser("create", help="Create an account (and its institution when new)."))
    create.add_argument("username")
    create.add_argument("--password", required=True)
    create.add_argument("--display-name")
    create.add_argument("--email")
    create.add_argument("--role", default="visitor", choices=["visitor", "staff", "curator", "moderator", "admin"])
    create.add_argument("--institution", help="institution name, for --role staff or curator")
    create.set_defaults(func=cmd_users_create)
    listing = store_options(users.add_parser("list", help="List accounts with their roles."))
    listing.set_defaults(func=cmd_users_list)
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
