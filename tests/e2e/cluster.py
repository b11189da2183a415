"""One real API server for the whole e2e session, and the clients the tests drive it with.

The server is ``manage.py runapi`` (HTTPS, two workers, as ``make up`` runs it) on a PostgreSQL
database of its own, created and migrated here and dropped at the end. It is not
pytest-django's test database on purpose: the rest of the suite truncates that one after
every transactional test, which would pull the admin token from under a running server, and
objects left by the e2e tests would show up in the store tests' lists.

Tests stay independent by each working in a namespace of its own (see ``conftest.py``);
cluster-scoped objects (nodes, namespaces) get unique names.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import ssl
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import psycopg
import yaml
from psycopg import sql

from tests.kubectl import KUBECTL, KubectlStream, kubectl, kubectl_stream
from tests.serving import Server

REQUEST_TIMEOUT_SECONDS = 20.0


# -- the database --


@contextlib.contextmanager
def scratch_database(config: dict[str, Any], name: str) -> Iterator[str]:
    """Create database ``name`` on the server of Django database ``config``; yield its URL;
    drop it."""
    assert config["ENGINE"] == "django.db.backends.postgresql", "the e2e suite needs PostgreSQL"
    server = {
        "host": config["HOST"] or "127.0.0.1",
        "port": int(config["PORT"] or 5432),
        "user": config["USER"],
        "password": config["PASSWORD"],
    }
    ident = sql.Identifier(name)

    def run(statement: sql.Composed) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
            conn.execute(statement)

    # A run that was killed may have left it behind; FORCE ends its leftover connections.
    run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
    run(sql.SQL("CREATE DATABASE {}").format(ident))
    user = urllib.parse.quote(str(server["user"]), safe="")
    password = urllib.parse.quote(str(server["password"]), safe="")
    try:
        yield f"postgresql://{user}:{password}@{server['host']}:{server['port']}/{name}"
    finally:
        run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


@dataclass(frozen=True)
class Cluster:
    """The session's server and how to reach it."""

    server: Server
    home: Path
    database_url: str
    api: Api


def admin_token(kubeconfig: Path) -> str:
    config = yaml.safe_load(kubeconfig.read_text())
    token: str = config["users"][0]["user"]["token"]
    return token


# -- kubectl --


class Result(NamedTuple):
    """What one kubectl run gave: exit code, stdout, stderr."""

    rc: int
    out: str
    err: str


@dataclass(frozen=True)
class Kubectl:
    """The real kubectl with one kubeconfig; its context's namespace is the test's own."""

    kubeconfig: Path
    home: Path
    binary: Path = KUBECTL

    def __call__(
        self,
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Result:
        done = kubectl(
            self.kubeconfig,
            *args,
            home=self.home,
            timeout=timeout,
            input=input,
            env=env,
            binary=self.binary,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> str:
        """Run kubectl, require success and no complaint on stderr; its stdout."""
        rc, out, err = self(*args, input=input, env=env)
        assert (rc, err) == (0, ""), f"kubectl {' '.join(args)} failed ({rc}):\n{err}"
        return out

    def json(self, *args: str) -> Any:
        """``kubectl get <args> -o json``, parsed."""
        return json.loads(self.ok("get", *args, "-o", "json"))

    def stream(self, *args: str) -> contextlib.AbstractContextManager[KubectlStream]:
        return kubectl_stream(self.kubeconfig, *args, home=self.home, binary=self.binary)


def write_kubeconfig(source: Path, target: Path, *, namespace: str) -> Path:
    """A copy of ``source`` whose current context defaults to ``namespace``."""
    config = yaml.safe_load(source.read_text())
    current = config["current-context"]
    for context in config["contexts"]:
        if context["name"] == current:
            context["context"]["namespace"] = namespace
    target.write_text(yaml.safe_dump(config))
    target.chmod(0o600)
    return target


# -- the REST API, as any HTTP client sees it --


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names in lower case: HTTP header names ignore case
    text: str

    @property
    def body(self) -> Any:
        return json.loads(self.text)


@dataclass
class Api:
    """HTTPS requests to the server with the admin token, trusting the generated CA."""

    url: str
    ca_file: Path
    token: str
    _context: ssl.SSLContext = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._context = ssl.create_default_context(cafile=str(self.ca_file))

    def _connect(self, timeout: float) -> http.client.HTTPSConnection:
        parsed = urllib.parse.urlsplit(self.url)
        assert parsed.hostname is not None
        return http.client.HTTPSConnection(
            parsed.hostname, parsed.port, context=self._context, timeout=timeout
        )

    def _headers(self, content_type: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Response:
        """One request; ``body`` (unless None or already text) is sent as JSON."""
        data = None if body is None else body if isinstance(body, str) else json.dumps(body)
        conn = self._connect(REQUEST_TIMEOUT_SECONDS)
        try:
            conn.request(
                method,
                path,
                body=data,
                headers=self._headers(content_type if data is not None else None, headers),
            )
            response = conn.getresponse()
            text = response.read().decode()
            headers = {name.lower(): value for name, value in response.getheaders()}
            return Response(response.status, headers, text)
        finally:
            conn.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def create(self, path: str, obj: dict[str, Any]) -> dict[str, Any]:
        """POST ``obj`` to the collection ``path``; it must be created."""
        response = self.request("POST", path, obj)
        assert response.status == 201, f"POST {path}: {response.status} {response.text}"
        created: dict[str, Any] = response.body
        return created

    def watch(
        self,
        path: str,
        *,
        until: Callable[[list[dict[str, Any]]], bool],
        timeout: float = 10,
    ) -> list[dict[str, Any]]:
        """The events of a watch on ``path`` (query included), read until ``until`` holds,
        the server ends the stream, or ``timeout`` seconds pass."""
        conn = self._connect(timeout)
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        try:
            conn.request("GET", path, headers=self._headers(None, None))
            response = conn.getresponse()
            assert response.status == 200, f"watch {path}: {response.status} {response.read()!r}"
            while not until(events) and time.monotonic() < deadline:
                try:
                    line = response.readline()
                except TimeoutError:
                    break
                if not line:
                    break
                if line.strip():
                    events.append(json.loads(line))
        finally:
            conn.close()
        return events


# -- kubectl's tables --


class _Age:
    """Stands for an AGE cell in an expected table: any fresh duration such as ``3s``."""

    pattern = re.compile(r"(\d+[smhd])+")

    def __repr__(self) -> str:
        return "AGE"


AGE: Any = _Age()

# kubectl's tabwriter (printers.GetNewTabWriter): minimum cell width 6, padding 3.
_MIN_WIDTH, _PADDING = 6, 3


def render_table(rows: list[list[str]]) -> str:
    """The text kubectl prints for ``rows`` (header first), aligned as its tabwriter aligns."""
    columns = len(rows[0])
    widths = [
        max(_MIN_WIDTH, max(len(row[i]) for row in rows) + _PADDING) for i in range(columns - 1)
    ]
    lines = [
        "".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + row[-1] for row in rows
    ]
    return "".join(line + "\n" for line in lines)


def _cells(line: str, starts: list[int]) -> list[str]:
    bounds = [*starts[1:], len(line)]
    return [line[a:b].rstrip() for a, b in zip(starts, bounds, strict=True)]


def table(actual: str, rows: list[list[str]]) -> str:
    """The expected text for ``rows``, with each AGE sentinel replaced by the age kubectl
    printed in that place (when it looks like one), so that the caller can compare exactly."""
    header, *data = rows
    lines = actual.splitlines()
    starts: list[int] = []
    if lines:
        position = 0
        for name in header:
            position = lines[0].find(name, position)
            if position < 0:
                break
            starts.append(position)
            position += len(name)
    filled = [list(header)]
    for index, row in enumerate(data, start=1):
        seen = (
            _cells(lines[index], starts)
            if len(starts) == len(header) and index < len(lines)
            else []
        )
        cells = []
        for column, cell in enumerate(row):
            if cell is AGE:
                printed = seen[column] if seen else ""
                cell = printed if _Age.pattern.fullmatch(printed) else "<age>"
            cells.append(cell)
        filled.append(cells)
    return render_table(filled)


# -- kubectl describe --

_AGE_MARK = "<age>"


def squeeze(text: str) -> str:
    """``text`` with trailing blanks dropped and runs of blanks inside a line made two wide.

    kubectl aligns describe output with one tabwriter across sections, so column positions
    depend on every other line; the content, which is what the server decides, does not.
    """
    return "".join(re.sub(r" {2,}", "  ", line.rstrip()) + "\n" for line in text.splitlines())


def described(actual: str, expected: str) -> str:
    """``expected`` squeezed, with each ``<age>`` filled in from the matching line of
    ``actual`` when that line has a duration there; compare it with ``squeeze(actual)``."""
    got = squeeze(actual).splitlines()
    lines = []
    for index, line in enumerate(squeeze(expected).splitlines()):
        if _AGE_MARK in line and index < len(got):
            pattern = re.escape(line).replace(re.escape(_AGE_MARK), r"(\d+[smhd])+")
            if re.fullmatch(pattern, got[index]):
                line = got[index]
        lines.append(line + "\n")
    return "".join(lines)


def sibling(namespace: str, suffix: str) -> str:
    """A name derived from the test's namespace, unique as it is, and still a DNS label
    (at most 63 characters), for other namespaces and for cluster-scoped objects."""
    return f"{namespace[: 62 - len(suffix)]}-{suffix}"
