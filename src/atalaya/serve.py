"""Turn HTTP requests into preview pages, and saved files into reloads: the `serve` command's server.

- One process, warm: the `preview.Previewer` keeps the corpus, the plan and the writers; a `watchfiles`
  thread reloads it when a file under the content or templates folder is saved, and the pages looking at
  a changed document reload themselves (server-sent events at `/events?page=<page>`; the same state as
  JSON at `/_preview/status?page=<page>`).
- Routes (GET and HEAD only): `/` and `/<audience>/` (the index pages), `/<audience>/<id>.html` (the live
  preview), `/<audience>/<id>.pdf|.docx` (the current documents, from memory), `/_preview/<asset>` (the
  page shell's stylesheet, script and the briefing fonts). A path is looked up whole among the planned
  pages: anything else (`..`, `%2e%2e`, backslashes, absolute or doubled slashes, an audience not cleared
  for an instrument) is 404; no file is served by its name on disk and no folder is listed.
- Binds 127.0.0.1:8000 by default; another host only when asked, with a warning. Requests naming another
  host (DNS rebinding) are refused while bound to the loopback.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .errors import UsageError
from .preview import ASSET_PREFIX, HTML_SUFFIX, INDEX, Previewer

KEEPALIVE_SECONDS = 15.0
WATCH_STEP_MS = 30
_SAFE_PATH = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./")
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html; charset=utf-8",
}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_path(raw: str) -> str | None:
    """The request path without its leading slash, or None when it is not one a preview page can have:
    only letters, digits and `-_./`, no empty, `.` or `..` segment (percent-escapes and backslashes are
    refused whole, so `%2e%2e` and `..\\` never reach a lookup)."""
    path = urlsplit(raw).path
    if not path.startswith("/") or any(char not in _SAFE_PATH for char in path):
        return None
    inner = path[1:]
    if inner == "":
        return ""
    segments = inner.split("/")
    if any(segment in (".", "..") for segment in segments) or any(s == "" for s in segments[:-1]):
        return None
    return inner


class Handler(BaseHTTPRequestHandler):
    server_version = "atalaya-serve"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    previewer: Previewer
    allowed_hosts: frozenset[str] | None = None
    stopping: threading.Event

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the terminal is for the analyst
        pass

    def do_HEAD(self) -> None:
        self._handle(body=False)

    def do_GET(self) -> None:
        self._handle(body=True)

    def _handle(self, body: bool) -> None:
        if self.allowed_hosts is not None:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
            if host not in self.allowed_hosts:
                self._send(403, b"forbidden: unknown Host\n", "text/plain; charset=utf-8", body)
                return
        path = clean_path(self.path)
        if path is None:
            self._not_found(body)
            return
        query = parse_qs(urlsplit(self.path).query)
        asked = (query.get("page") or [""])[0]
        page = (clean_path("/" + asked) if asked else INDEX) or INDEX
        if path == "events":
            self._events(page, body)
            return
        if path == "_preview/status":
            state = self.previewer.page_state(page)
            self._send(200, state.json().encode(), "application/json", body)
            return
        if path.startswith(ASSET_PREFIX):
            asset = self.previewer.asset(path[len(ASSET_PREFIX) :])
            if asset is None:
                self._not_found(body)
            else:
                self._send(200, asset[0], asset[1], body)
            return
        self._document(path, body)

    def _document(self, path: str, body: bool) -> None:
        previewer = self.previewer
        if path == "" or path == INDEX:
            text = previewer.index_page(INDEX)
        elif (path.count("/") == 1 and path.endswith("/")) or path.endswith("/" + INDEX):
            text = previewer.index_page(path.split("/", 1)[0] + "/" + INDEX)
        elif "/" not in path and path in previewer.audiences():
            self.send_response(301)
            self.send_header("Location", f"/{path}/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        elif path.endswith(HTML_SUFFIX):
            text = previewer.page_html(path)
        else:
            rendered = previewer.document(path)
            if rendered is None:
                self._not_found(body)
            else:
                suffix = Path(path).suffix
                self._send(200, rendered.data, CONTENT_TYPES.get(suffix, "application/octet-stream"), body)
            return
        if text is None:
            self._not_found(body)
        else:
            self._send(200, text.encode("utf-8"), CONTENT_TYPES[".html"], body)

    def _events(self, page: str, body: bool) -> None:
        """Server-sent events: the page's state (version and errors) now and after every change."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if not body:
            return
        previewer = self.previewer
        previewer.watch(page, +1)
        try:
            sent = ""
            while not self.stopping.is_set():
                with previewer.changed:
                    generation = previewer.generation
                data = previewer.page_state(page).json()
                message = f"event: state\ndata: {data}\n\n" if data != sent else ": keep-alive\n\n"
                sent = data
                self.wfile.write(message.encode("utf-8"))
                self.wfile.flush()
                self._wait(generation)
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            pass
        finally:
            previewer.watch(page, -1)

    def _wait(self, generation: int) -> None:
        """Until the previewer changes after `generation`, the server stops, or a keep-alive is due."""
        previewer = self.previewer
        with previewer.changed:
            previewer.changed.wait_for(
                lambda: previewer.generation != generation or self.stopping.is_set(),
                timeout=KEEPALIVE_SECONDS,
            )

    def _not_found(self, body: bool) -> None:
        self._send(404, b"not found\n", "text/plain; charset=utf-8", body)

    def _send(self, status: int, data: bytes, content_type: str, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(data)


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(previewer: Previewer, host: str, port: int, stopping: threading.Event) -> PreviewServer:
    """Bind the server; a port in use (or a host that cannot be bound) is a usage error."""
    allowed = frozenset({"localhost", "127.0.0.1", "::1", host.lower()}) if is_loopback(host) else None
    handler = type(
        "BoundHandler", (Handler,), {"previewer": previewer, "allowed_hosts": allowed, "stopping": stopping}
    )
    if ":" in host:
        PreviewServer.address_family = __import__("socket").AF_INET6
    try:
        return PreviewServer((host, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is in use; choose another with --port") from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def watch(
    previewer: Previewer, folders: Iterable[Path], templates: Path, stopping: threading.Event
) -> threading.Thread:
    """A thread reloading the previewer whenever files under `folders` change (until `stopping`)."""
    import watchfiles

    roots = [folder for folder in folders if folder.is_dir()]
    templates_root = templates.resolve()

    def run() -> None:
        if not roots:
            return
        for changes in watchfiles.watch(
            *roots, stop_event=stopping, step=WATCH_STEP_MS, raise_interrupt=False, rust_timeout=500
        ):
            touched = [Path(path).resolve() for _, path in changes]
            templates_changed = any(path.is_relative_to(templates_root) for path in touched)
            try:
                previewer.refresh(templates_changed)
            except Exception as exc:  # a bug: say so, keep serving the last good state
                print(f"serve: reload failed: {exc!r}", file=sys.stderr, flush=True)

    thread = threading.Thread(target=run, name="atalaya-watch", daemon=True)
    thread.start()
    return thread


def serve(request: Any, host: str, port: int, say: Callable[[str], None]) -> int:
    """Serve the preview until interrupted (Ctrl-C or SIGTERM): exit status 130."""
    previewer = Previewer(request)
    stopping = threading.Event()
    server = make_server(previewer, host, port, stopping)
    if not is_loopback(host):
        say(
            f"warning: serving on {host}, reachable from other machines: anyone who can reach it sees "
            "every audience's documents"
        )
    previewer.load()
    for error in previewer.errors:
        say(error.format())
    threading.Thread(target=previewer.warm, name="atalaya-warm", daemon=True).start()
    watcher = watch(previewer, [request.content, request.templates], request.templates, stopping)
    bound_host, bound_port = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    say(f"serving the preview at http://{shown}:{bound_port}/ (Ctrl-C to stop)")

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        return 130
    finally:
        stopping.set()
        with previewer.changed:
            previewer.changed.notify_all()
        server.server_close()
        with contextlib.suppress(RuntimeError):
            watcher.join(timeout=2)
        signal.signal(signal.SIGTERM, previous)
    return 0
