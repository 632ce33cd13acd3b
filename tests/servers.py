"""Real SPARQL servers for the tests: `oxigraph serve` and Virtuoso Open Source 7, each on free
loopback ports with a temporary database, started on demand and stopped at the end.

Snapshots keep the suite fast: a server's database directory, copied while it is stopped, is a
complete store, so every fresh server starts from a copy in a second or two instead of loading
the sample data again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

VIRTUOSO_BIN = shutil.which("virtuoso-t")
ISQL_BIN = shutil.which("isql-vt") or shutil.which("isql-v")
OXIGRAPH_BIN = shutil.which("oxigraph")

VIRTUOSO_INI = """[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
ServerThreads = 20
CheckpointInterval = 0
NumberOfBuffers = 60000
MaxDirtyBuffers = 45000
DirsAllowed = ., {dir}
MaxQueryMem = 1G

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
MaxClientConnections = 20
ServerThreads = 20
KeepAliveTimeout = 10
MaxKeepAlives = 10
EnabledDavVSP = 0
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = 10000000
MaxSortedTopRows = 10000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 120
DefaultGraph =
"""
# Anonymous SPARQL may update, and may write through the Graph Store Protocol: fine for a
# throw-away test database on loopback; production puts an authenticated endpoint in front.
VIRTUOSO_GRANTS = 'GRANT SPARQL_UPDATE TO "SPARQL"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET (\'nobody\', 7);'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ask_ok(url: str) -> bool:
    data = urllib.parse.urlencode({"query": "ASK {}"}).encode()
    request = urllib.request.Request(url, data=data, headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            json.loads(response.read())
            return True
    except (OSError, ValueError):
        return False


class Server:
    """One server process on a database directory; `stop()` leaves the directory reusable."""

    name = "server"

    def __init__(self, location: Path) -> None:
        self.location = location
        self.process: subprocess.Popen | None = None
        self.log_path = location.parent / f"{location.name}.log"

    @property
    def query_url(self) -> str:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self, timeout: float = 60) -> Server:
        self.location.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            cwd=self.location, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start: {self.log_tail()}")
            if _ask_ok(self.query_url):
                self.ready()
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s: {self.log_tail()}")

    def ready(self) -> None:
        """Hook run once the server answers."""

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-1500:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


class OxigraphServer(Server):
    name = "oxigraph"

    def __init__(self, location: Path, port: int | None = None) -> None:
        super().__init__(location)
        self.port = port or free_port()

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    def command(self) -> list[str]:
        if not OXIGRAPH_BIN:
            raise RuntimeError("the `oxigraph` command is not installed (pip install oxigraph)")
        return [OXIGRAPH_BIN, "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}"]


class VirtuosoServer(Server):
    name = "virtuoso"

    def __init__(self, location: Path, http_port: int | None = None, sql_port: int | None = None) -> None:
        super().__init__(location)
        self.http_port = http_port or free_port()
        self.sql_port = sql_port or free_port()

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    def command(self) -> list[str]:
        if not VIRTUOSO_BIN:
            raise RuntimeError("Virtuoso is not installed (scripts/install-system-deps installs it)")
        ini = self.location / "virtuoso.ini"
        ini.write_text(VIRTUOSO_INI.format(dir=self.location, sql_port=self.sql_port, http_port=self.http_port))
        (self.location / "virtuoso.lck").unlink(missing_ok=True)  # a copied snapshot carries its lock file
        return [VIRTUOSO_BIN, "-f", "-c", str(ini)]

    def isql(self, sql: str) -> None:
        if not ISQL_BIN:
            raise RuntimeError("isql-vt is not installed")
        subprocess.run([ISQL_BIN, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={sql}"], check=True,
                       capture_output=True, timeout=60)

    def ready(self) -> None:
        self.isql(VIRTUOSO_GRANTS)

    def stop(self) -> None:
        """A checkpoint first, so that the database file alone is a complete snapshot."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(subprocess.SubprocessError, RuntimeError, OSError):
                self.isql("checkpoint;")
        super().stop()


SERVERS = {"oxigraph": OxigraphServer, "virtuoso": VirtuosoServer}


def snapshot(source: Path, target: Path) -> Path:
    """A copy of a stopped server's database directory."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.lck", "*.log", "LOCK"))
    return target


def available(backend: str) -> str | None:
    """None when the backend's server can be started here, else why not."""
    if backend == "oxigraph" and not OXIGRAPH_BIN:
        return "the `oxigraph` server command is not installed (pip install oxigraph)"
    if backend == "virtuoso" and not (VIRTUOSO_BIN and ISQL_BIN):
        return "Virtuoso (virtuoso-t, isql-vt) is not installed; run scripts/install-system-deps"
    return None


def ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
