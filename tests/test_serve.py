"""`build.py serve`: the live preview server, run as the analyst runs it (a subprocess on a free port).

Without a browser: the routes (index pages, previews, documents, 404 for everything else including path
traversal), releasability on the canary tree (no canary word above an audience's clearance in its preview
HTML, PDF or index; an audience not cleared for an instrument gets 404), the same for every edition of a
translated tree (a withheld edition has no page), a save seen within a timeout, a
broken save reported at `file:line:col` (status endpoint and /events) and cleared when fixed, a port in
use. With headless Chromium (Debian `chromium`, driven by Playwright with the system browser): the page
reloads itself after a save, keeps its scroll position, and overlays the errors of a broken save.

Every test bounds its waits and kills its server.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from test_hardening import AUDIENCES, CANARY, CANARY_DOCUMENTS, CANARY_WORD, expected_canaries

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
START_TIMEOUT = 60.0
CHANGE_TIMEOUT = 30.0
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Server:
    """`build.py serve` in a subprocess; `url` once it says where it listens."""

    def __init__(self, *args: str | Path) -> None:
        self.process = subprocess.Popen(
            [PYTHON, str(ROOT / "build.py"), "serve", *map(str, args)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.url = ""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            found = re.search(r"serving the preview at (http://\S+/)", line)
            if found:
                self.url = found.group(1)
                self.ready.set()
        self.ready.set()

    def wait_ready(self) -> Server:
        if not self.ready.wait(START_TIMEOUT) or not self.url:
            self.stop()
            pytest.fail("the server did not start:\n" + "".join(self.lines))
        return self

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.reader.join(10)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return self.process.returncode

    def get(self, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url.rstrip("/") + path, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=CHANGE_TIMEOUT) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def text(self, path: str) -> str:
        status, data = self.get(path)
        assert status == 200, (path, status)
        return data.decode("utf-8")

    def status(self, page: str) -> dict[str, object]:
        return json.loads(self.text(f"/_preview/status?page={page}"))  # type: ignore[no-any-return]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(CANARY, folder)
    return folder


@pytest.fixture
def server(content: Path) -> Iterator[Server]:
    running = Server("--content", content, "--port", "0").wait_ready()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the tests that only read."""
    folder = tmp_path_factory.mktemp("serve") / "content"
    shutil.copytree(CANARY, folder)
    running = Server("--content", folder, "--port", "0").wait_ready()
    try:
        yield running
    finally:
        running.stop()


def wait_until(check: Callable[[], bool], what: str, timeout: float = CHANGE_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def level_of(word: str) -> str:
    return {"PUB": "public", "INT": "internal", "RES": "restricted"}[CANARY_WORD.fullmatch(word).group(2)]  # type: ignore[union-attr]


# --- routes, without rendering a document --------------------------------------------------------------


def test_binds_the_loopback_and_serves_the_index_pages(shared: Server) -> None:
    assert shared.url.startswith("http://127.0.0.1:")
    top = shared.text("/")
    for audience in AUDIENCES:
        assert f'href="{audience}/index.html"' in top
    assert shared.get("/public")[0] == 200  # redirected to /public/
    assert "canary-public.html" in shared.text("/public/")
    assert shared.text("/public/") == shared.text("/public/index.html")
    assert shared.get("/", method="HEAD") == (200, b"")


@pytest.mark.parametrize(
    "path",
    [
        "/../pyproject.toml",
        "/public/../../pyproject.toml",
        "/public/%2e%2e/%2e%2e/pyproject.toml",
        "/%2e%2e/build.py",
        "/public/..%2fstaff/canary-secret.html",
        "/public\\..\\staff\\canary-secret.html",
        "//etc/passwd",
        "/etc/passwd",
        "/public//canary-public.html",
        "/./public/canary-public.html",
        "/instruments/canary-public.yaml",
        "/templates/index.html.j2",
        "/_preview/../build.py",
        "/_preview/fonts/",
        "/nobody/",
        "/public/canary-public.yaml",
        "/public/canary-secret.html",
        "/public/canary-secret.pdf",
        "/public/canary-secret.docx",
        "/staff/index.html/..",
    ],
)
def test_anything_but_a_planned_page_is_404(shared: Server, path: str) -> None:
    status, data = shared.get(path)
    assert status == 404, (path, data[:200])
    assert data == b"not found\n"


def test_only_get_and_head(shared: Server) -> None:
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        assert shared.get("/", method=method)[0] == 501, method


def test_another_host_name_is_refused(shared: Server) -> None:
    status, _ = shared.get("/", headers={"Host": "attacker.example:80"})
    assert status == 403


def test_indexes_show_nothing_above_clearance(shared: Server) -> None:
    pages = {"/": "public", **{f"/{name}/": settings["clearance"] for name, settings in AUDIENCES.items()}}
    for path, clearance in pages.items():
        text = shared.text(path)
        if clearance == "public":
            assert "canary-secret" not in text, path
            assert "INTERNAL" not in text and "RESTRICTED" not in text, path
        rank = ("public", "internal", "restricted").index
        above = [w for w in re.findall(r"ZZ[A-Z]{6}ZZ", text) if rank(level_of(w)) > rank(clearance)]
        assert not above, (path, above)


def test_port_in_use_is_a_clear_error(content: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [PYTHON, "build.py", "serve", "--content", str(content), "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_another_host_only_when_asked_with_a_warning(content: Path) -> None:
    running = Server("--content", content, "--port", "0", "--host", "0.0.0.0").wait_ready()
    try:
        assert any("warning: serving on 0.0.0.0" in line for line in running.lines)
    finally:
        assert running.stop() == 130
    assert not any("Traceback" in line for line in running.lines)


# --- documents (slow: they render) ----------------------------------------------------------------------


@pytest.mark.slow
def test_previews_hold_only_what_each_audience_may_see(shared: Server) -> None:
    for name in (*CANARY_DOCUMENTS, "canary-secret"):
        for audience, settings in AUDIENCES.items():
            paths = [f"/{audience}/{name}{suffix}" for suffix in (".html", ".pdf", ".docx")]
            if name == "canary-secret" and settings["clearance"] == "public":
                assert [shared.get(path)[0] for path in paths] == [404, 404, 404]
                continue
            html = shared.text(paths[0])
            status, pdf = shared.get(paths[1])
            assert status == 200 and pdf.startswith(b"%PDF")
            status, docx = shared.get(paths[2])
            assert status == 200 and docx.startswith(b"PK")
            if name == "canary-secret":
                continue
            shown, hidden = expected_canaries(name, audience, "pdf")
            text = pdf_text(pdf)
            for word in hidden:
                assert word not in html, (audience, name, word)
                assert word not in text, (audience, name, word)
            for word in shown:
                assert word in html, (audience, name, word)
            rank = ("public", "internal", "restricted").index
            for found in (html, text):
                above = [
                    word
                    for word in re.findall(r"ZZ[A-Z]{6}ZZ", found)
                    if rank(level_of(word)) > rank(settings["clearance"])
                ]
                assert not above, (audience, name, above)


@pytest.mark.slow
def test_previews_of_every_edition_hold_only_what_each_audience_may_see(tmp_path: Path) -> None:
    """The translated canary tree (tests/test_editions.py): each edition's preview page, PDF and memo for
    every audience and document, in the edition's language, with no token above the audience's clearance
    (the source's `ZZ...ZZ` or the edition's `QQ...ESQQ`); the toolbar offers every edition; an edition
    withheld until translated has no page."""
    from test_editions import EDITIONS, LEVEL, TOKEN, translated_tree

    content = translated_tree(tmp_path / "content")
    rank = ("public", "internal", "restricted").index
    running = Server("--content", content, "--port", "0").wait_ready()
    try:
        for language in EDITIONS:
            for audience, settings in AUDIENCES.items():
                for name in CANARY_DOCUMENTS:
                    page = running.text(f"/{audience}/{name}.{language}.html")
                    assert re.search(rf'<html[^>]* lang="{language}"', page), (audience, name)
                    assert all(f'<option value="{tag}"' in page for tag in ("en", *EDITIONS)), page[-3000:]
                    status, pdf = running.get(f"/{audience}/{name}.{language}.pdf")
                    assert status == 200 and pdf.startswith(b"%PDF")
                    status, docx = running.get(f"/{audience}/{name}.{language}.docx")
                    assert status == 200 and docx.startswith(b"PK")
                    for where, found in (("html", page), ("pdf", pdf_text(pdf))):
                        tokens = TOKEN.finditer("".join(found.split()))
                        above = [
                            t.group(0)
                            for t in tokens
                            if rank(LEVEL[t.group(1)]) > rank(settings["clearance"])
                        ]
                        assert not above, (audience, name, language, where, above)
                    assert re.search(rf"QQ[A-Z]{{6}}{language.upper()}QQ", page), (audience, name)
                status, _ = running.get(f"/{audience}/canary-secret.{language}.html")
                assert (status == 404) == (settings["clearance"] == "public")
            index = running.text("/")
            assert f'hreflang="{language}"' in index
        # An edit to the English of a public item leaves its translations stale: the executive and public
        # editions of that document are withheld (no page), the analyst's shows the English, marked.
        path = content / "instruments" / "canary-mixed.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("ZZSUMPUBZZ summary line.", "ZZSUMPUBZZ summary line, revised.", 1), "utf-8"
        )
        wait_until(lambda: running.get("/public/canary-mixed.es.html")[0] == 404, "the withheld edition")
        assert running.get("/public/canary-mixed.html")[0] == 200
        analyst = running.text("/analyst/canary-mixed.es.html")
        assert 'class="untranslated"' in analyst and "revised" in analyst
        assert re.search(r'<option value="es" lang="es" selected>Español</option>', analyst)
        toolbar = running.text("/public/canary-mixed.html")
        assert re.search(
            r'<option value="es" lang="es" disabled>Español \(withheld until translated\)', toolbar
        )
    finally:
        running.stop()


@pytest.mark.slow
def test_a_save_shows_a_broken_save_overlays_a_fix_clears(server: Server, content: Path) -> None:
    page = "public/canary-public.html"
    source = content / "instruments" / "canary-public.yaml"
    original = source.read_text(encoding="utf-8")
    before = server.status(page)
    assert before["errors"] == []
    assert "ZZSUMPUBZZ summary line." in server.text(f"/{page}")

    source.write_text(original.replace("ZZSUMPUBZZ summary line.", "ZZSUMPUBZZ edited ZZLIVEZZ."), "utf-8")
    wait_until(lambda: "ZZLIVEZZ" in server.text(f"/{page}"), "the edit in the preview")
    wait_until(
        lambda: "ZZLIVEZZ" in pdf_text(server.get("/public/canary-public.pdf")[1]), "the edit in the PDF"
    )
    edited = server.status(page)
    assert edited["version"] != before["version"] and edited["errors"] == []

    source.write_text(original.replace("summary:", "summary: [<b>unclosed\nx:"), "utf-8")
    wait_until(lambda: bool(server.status(page)["errors"]), "the error")
    errors = server.status(page)["errors"]
    assert isinstance(errors, list)
    assert all(re.match(r".*canary-public\.yaml:\d+:\d+: \S", error) for error in errors), errors
    assert "ZZLIVEZZ" in server.text(f"/{page}")  # the last good preview stays

    # /events says the same, at once, as a server-sent event
    with urllib.request.urlopen(server.url + f"events?page={page}", timeout=CHANGE_TIMEOUT) as events:
        assert events.headers["Content-Type"] == "text/event-stream"
        assert events.readline() == b"event: state\n"
        data = json.loads(events.readline().decode().removeprefix("data: "))
    assert data["errors"] == errors

    source.write_text(original, "utf-8")
    wait_until(lambda: server.status(page)["errors"] == [], "the errors to clear")
    wait_until(lambda: "ZZLIVEZZ" not in server.text(f"/{page}"), "the preview of the fixed file")
    assert server.status(page)["version"] == before["version"]


# --- in a real browser ----------------------------------------------------------------------------------


def _browser_or_skip() -> None:
    if not CHROMIUM.is_file():
        pytest.skip("no headless browser: install Debian's chromium (.ci/run does) to run the browser test")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (requirements-dev.lock has it)")


@pytest.mark.slow
def test_browser_reloads_keeps_scroll_and_overlays_errors(server: Server, content: Path) -> None:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    source = content / "instruments" / "canary-mixed.yaml"
    original = source.read_text(encoding="utf-8")
    os.environ.pop("PLAYWRIGHT_BROWSERS_PATH", None)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 500})
            page.set_default_timeout(CHANGE_TIMEOUT * 1000)
            page.goto(server.url + "analyst/canary-mixed.html")
            page.wait_for_selector("text=ZZSUMPUBZZ summary line.")
            page.wait_for_function("document.getElementById('atalaya-status').textContent === 'live'")
            assert page.evaluate("document.body.scrollHeight") > 1500
            page.evaluate("window.scrollTo(0, 700)")
            page.wait_for_function("window.scrollY === 700")

            source.write_text(original.replace("ZZSUMPUBZZ summary line.", "ZZSUMPUBZZ ZZLIVEZZ."), "utf-8")
            page.wait_for_selector("text=ZZLIVEZZ")
            page.wait_for_selector("html[data-restored]")
            assert abs(page.evaluate("window.scrollY") - 700) <= 2

            broken = original.replace("summary:", "<img src=x onerror=alert(1)>: [unclosed\nsummary:", 1)
            source.write_text(broken, "utf-8")
            overlay = page.wait_for_selector("#atalaya-overlay")
            assert overlay is not None
            text = overlay.inner_text()
            assert re.search(r"canary-mixed\.yaml:\d+:\d+: \S", text), text
            assert page.query_selector("#atalaya-overlay img") is None  # errors are text, never markup
            assert page.is_visible("text=ZZLIVEZZ")  # the last good preview stays under it

            source.write_text(original.replace("ZZSUMPUBZZ summary line.", "ZZSUMPUBZZ ZZLIVEZZ."), "utf-8")
            page.wait_for_selector("#atalaya-overlay", state="detached")
            assert page.is_visible("text=ZZLIVEZZ")

            # switching audience in place keeps the instrument
            page.select_option("#atalaya-audience", "/public/canary-mixed.html")
            page.wait_for_url("**/public/canary-mixed.html")
            assert "ZZSUMINTZZ" not in page.content()
        finally:
            browser.close()
