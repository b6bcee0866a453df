"""The build engine: incremental, parallel, atomic, deterministic, sharded; read back through the manifest."""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import GOOD, ROOT, TEMPLATES, run_cli

pytestmark = pytest.mark.slow

FORMATS = ("pdf", "docx")
BRIEFS = sorted(
    f"{audience}/{instrument}.{fmt}"
    for instrument, audiences in (
        ("alpha-pact", ("analyst", "executive", "public", "staff")),
        # beta-forum is an internal file: no public documents
        ("beta-forum", ("analyst", "executive", "staff")),
    )
    for audience in audiences
    for fmt in FORMATS
)
# every audience is cleared for alpha-pact, so every audience has a briefing book
BOOKS = sorted(
    f"{audience}/book.{fmt}" for audience in ("analyst", "executive", "public", "staff") for fmt in FORMATS
)
COUNTRIES = sorted(
    f"{audience}/countries/{code}.{fmt}"
    for code, audiences in (
        # alpha-pact's members; the executive's sections show no members (nor partners): no country briefs
        ("AR", ("analyst", "public", "staff")),
        ("BR", ("analyst", "public", "staff")),
        ("CL", ("analyst", "public", "staff")),
        # alpha-pact's observer: only the analyst's sections show partners
        ("NO", ("analyst",)),
    )
    for audience in audiences
    for fmt in FORMATS
)
ALL_TARGETS = sorted(BRIEFS + BOOKS + COUNTRIES)


def product_and_subject(target: str) -> tuple[str, str]:
    """What a target's path says it is: (`brief`, instrument), (`book`, `book`) or (`countries`, code)."""
    stem = target.split("/", 1)[1].rsplit(".", 1)[0]
    if stem == "book":
        return "book", "book"
    if stem.startswith("countries/"):
        return "countries", stem.removeprefix("countries/")
    return "brief", stem


def built_targets(log: str) -> list[str]:
    """The targets a build's log reports as built, sorted."""
    return sorted(line.split()[1] for line in log.splitlines() if line.startswith("["))


def snapshot(output: Path) -> dict[str, bytes]:
    return {
        p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()
    }


def manifest(output: Path) -> dict[str, object]:
    return json.loads((output / "manifest.json").read_text(encoding="utf-8"))


def build(content: Path, output: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = run_cli("build", "--content", content, "--output", output, *args, env=env)
    assert result.code == 0, result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full build of the good fixture tree, shared by the read-only tests."""
    output = tmp_path_factory.mktemp("reference") / "output"
    build(GOOD, output, "-j", "2")
    return output


def test_full_build_writes_every_target_and_a_manifest_that_describes_it(reference: Path) -> None:
    data = manifest(reference)
    assert [t["target"] for t in data["targets"]] == ALL_TARGETS
    for entry in data["targets"]:
        assert entry["path"] == entry["target"]
        assert (entry["product"], entry["subject"]) == product_and_subject(entry["target"]), entry
        assert entry["audience"] == entry["target"].split("/", 1)[0]
        assert entry["format"] == entry["target"].rsplit(".", 1)[1]
        path = reference / entry["path"]
        content = path.read_bytes()
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert len(content) == entry["bytes"]
        assert len(entry["input_hash"]) == 64
        if entry["format"] == "pdf":
            assert content.startswith(b"%PDF-")
            assert entry["pages"] >= 1
        else:
            assert zipfile.ZipFile(path).testzip() is None
            assert entry["pages"] is None
    assert {"weasyprint", "python-docx", "atalaya", "fonttools"} <= set(data["tools"])
    assert not (reference / "public" / "beta-forum.pdf").exists()
    assert not (reference / "executive" / "countries").exists()


def test_index_pages_list_every_document_with_relative_links(reference: Path) -> None:
    """Each audience's index links its documents; the top one the public's and each audience's index."""
    import posixpath

    from lxml import etree

    def documents(page: str) -> list[str]:
        """The output-relative documents `page` links to; every link must lead to a file."""
        text = (reference / page).read_text(encoding="utf-8")
        tree = etree.fromstring(
            text.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True)
        )
        found = []
        for a in tree.iter("{*}a", "a"):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), a.get("href")))
            assert (reference / target).is_file(), (page, a.get("href"))
            if target.endswith((".pdf", ".docx")):
                found.append(target)
        return sorted(found)

    audiences = sorted({t.split("/")[0] for t in ALL_TARGETS})
    for audience in audiences:
        assert documents(f"{audience}/index.html") == [t for t in ALL_TARGETS if t.startswith(f"{audience}/")]
    assert documents("index.html") == [t for t in ALL_TARGETS if t.startswith("public/")]
    assert "1 November 2026" in (reference / "index.html").read_text(encoding="utf-8")  # alpha-pact's as_of


def test_noop_rebuild_writes_nothing_and_imports_no_renderer(reference: Path, tmp_path: Path) -> None:
    output = tmp_path / "output"
    shutil.copytree(reference, output)
    before = {p: p.stat().st_mtime_ns for p in output.rglob("*")}
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from atalaya.engine import Request, build\n"
        f"result = build(Request(content=Path({str(GOOD)!r}), templates=Path({str(TEMPLATES)!r}), output=Path({str(output)!r})))\n"
        f"assert result.ok and result.built == [] and result.up_to_date == {len(ALL_TARGETS)}, result\n"
        "heavy = [m for m in ('weasyprint', 'docx', 'fontTools') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert {p: p.stat().st_mtime_ns for p in output.rglob("*")} == before


def test_an_edit_rebuilds_the_documents_whose_view_it_changes(reference: Path, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(GOOD, content)
    output = tmp_path / "output"
    shutil.copytree(reference, output)

    def rebuilt_after(path: Path, old: str, new: str) -> list[str]:
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return built_targets(build(content, output, "-j", "2"))

    # beta-forum is a chapter of the books of the audiences cleared for it (not the public's); it names
    # no country, so no country brief shows it
    beta_books = [t for t in BOOKS if not t.startswith("public/")]
    beta = content / "instruments" / "beta-forum.yaml"
    assert rebuilt_after(beta, "has not met since 2018", "last met in 2018") == sorted(
        [t for t in BRIEFS if "beta-forum" in t] + beta_books
    )
    # renaming beta-forum changes what the analyst's alpha-pact documents show under "related" (the only
    # audience cleared for beta-forum that shows related instruments), and its chapter in those books
    assert rebuilt_after(beta, "name: Beta Forum", "name: Beta Dialogue") == sorted(
        [t for t in BRIEFS if "beta-forum" in t or t.startswith("analyst/alpha-pact.")] + beta_books
    )
    # an internal item of a public file: the public's documents do not show it, so are not rebuilt; nor
    # are the country briefs, which show an instrument's member rows and not its summary
    alpha = content / "instruments" / "alpha-pact.yaml"
    assert rebuilt_after(alpha, "ALPHA-INTERNAL-CANARY consultations", "Talks") == sorted(
        t for t in BRIEFS + BOOKS if "beta-forum" not in t and not t.startswith("public/")
    )
    # Norway's observer row: only the analyst's sections show partners, so the analyst's alpha-pact
    # documents and book, and of the country briefs only the analyst's on Norway
    assert rebuilt_after(alpha, "role: Observer since 1999.", "role: Observer.") == sorted(
        [t for t in BRIEFS + BOOKS if t.startswith(("analyst/alpha-pact.", "analyst/book."))]
        + [t for t in COUNTRIES if t.startswith("analyst/countries/NO.")]
    )


def test_same_inputs_give_identical_bytes_across_runs_clocks_time_zones_and_workers(
    reference: Path, tmp_path: Path
) -> None:
    time.sleep(1.1)  # a later second on the clock: nothing may depend on it
    other = tmp_path / "output"
    build(GOOD, other, "-j", "1", env={"TZ": "Asia/Kathmandu", "LANG": "pt_BR.UTF-8"})
    assert snapshot(other) == snapshot(reference)


def test_a_failing_target_is_named_and_loses_no_other_work(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    executive = templates / "briefing" / "executive.html.j2"
    # inside a block: text outside blocks in a child template is never rendered
    broken = executive.read_text(encoding="utf-8").replace(
        "{% block closing %}", "{% block closing %}{{ view.no_such_field }}", 1
    )
    assert broken != executive.read_text(encoding="utf-8")
    executive.write_text(broken, encoding="utf-8")
    output = tmp_path / "output"
    result = run_cli("build", "--content", GOOD, "--templates", templates, "--output", output, "-j", "2")
    assert result.code == 1
    assert "Traceback" not in result.stderr
    # the executive's briefs; its book shows each chapter through the executive's template too, but
    # without the closing block, so it is written
    failed = sorted(t for t in BRIEFS if t.startswith("executive/") and t.endswith(".pdf"))
    assert failed == ["executive/alpha-pact.pdf", "executive/beta-forum.pdf"]
    for target in failed:
        assert f"(building {target})" in result.stderr
        assert f"{target} FAILED" in result.stderr
    assert "'atalaya.select.View object' has no attribute 'no_such_field'" in result.stderr
    # the other documents are written; the manifest, the record of a complete build, is not
    assert sorted(p.relative_to(output).as_posix() for p in output.rglob("*.*")) == [
        t for t in ALL_TARGETS if t not in failed
    ]
    assert not (output / "manifest.json").exists()


def test_content_errors_leave_the_last_good_build_untouched(reference: Path, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(GOOD, content)
    output = tmp_path / "output"
    shutil.copytree(reference, output)
    before = snapshot(output)
    alpha = content / "instruments" / "alpha-pact.yaml"
    alpha.write_text(
        alpha.read_text(encoding="utf-8").replace("kind: treaty", "kind: [treaty"), encoding="utf-8"
    )
    result = run_cli("build", "--content", content, "--output", output, "--force")
    assert result.code == 1
    assert result.stderr.splitlines() == [
        f"{alpha}:6:8: while parsing a flow sequence (opened at line 5, column 7): did not find expected ',' or ']'",
        "content: 1 error",
    ]
    assert snapshot(output) == before


def test_page_budget_is_enforced(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(GOOD, content)
    alpha = content / "instruments" / "alpha-pact.yaml"
    many = "".join(
        f"  - Objective number {n} keeps the briefing long enough to need a second page.\n"
        for n in range(190)
    )
    alpha.write_text(
        alpha.read_text(encoding="utf-8").replace("objectives:\n", "objectives:\n" + many), encoding="utf-8"
    )
    result = run_cli(
        "build",
        "--content",
        content,
        "--output",
        tmp_path / "out",
        "--audience",
        "public",
        "--format",
        "pdf",
        "--instrument",
        "alpha-pact",
    )
    assert result.code == 1
    lines = [line for line in result.stderr.splitlines() if "page budget" in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"{alpha}:1:1: the public briefing runs to ")
    assert lines[0].endswith(" pages; its page budget is 3 (building public/alpha-pact.pdf)")
    assert not (tmp_path / "out" / "public" / "alpha-pact.pdf").exists()


def test_killed_builds_leave_only_valid_files_and_the_next_build_completes(
    reference: Path, tmp_path: Path
) -> None:
    from pypdf import PdfReader

    output = tmp_path / "output"
    rng = random.Random(20261122)
    for _ in range(3):
        process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "build.py"),
                "build",
                "--content",
                str(GOOD),
                "--output",
                str(output),
                "-j",
                "2",
                "--force",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.5, 4.0))
        try:
            import os

            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        for path in output.rglob("*"):
            if not path.is_file() or path.name.startswith(".partial-"):
                continue
            if path.suffix == ".pdf":
                assert len(PdfReader(path).pages) >= 1
            elif path.suffix == ".docx":
                assert zipfile.ZipFile(path).testzip() is None
            elif path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
    build(GOOD, output, "-j", "2")
    assert not list(output.rglob(".partial-*"))
    assert snapshot(output) == snapshot(reference)


def test_shards_partition_the_targets_and_merge_into_the_one_shot_manifest(
    reference: Path, tmp_path: Path
) -> None:
    shard_targets = []
    for k in (1, 2, 3):
        listed = run_cli("list", "--content", GOOD, "--shard", f"{k}/3")
        assert listed.code == 0
        shard_targets.append(listed.stdout.split())
        build(GOOD, tmp_path / f"shard{k}", "--shard", f"{k}/3")
    assert sorted(t for part in shard_targets for t in part) == ALL_TARGETS
    assert all(shard_targets)
    merged = tmp_path / "merged"
    result = run_cli(
        "merge", *(tmp_path / f"shard{k}" / "manifest.json" for k in (1, 2, 3)), "--output", merged
    )
    assert result.code == 0, result.stderr
    # merge joins the documents; the index pages are for the next full build to write, as in CI
    assert {**manifest(merged), "files": None} == {**manifest(reference), "files": None}
    assert manifest(merged)["files"] == {}
    for entry in manifest(merged)["targets"]:
        assert (merged / entry["path"]).read_bytes() == (reference / entry["path"]).read_bytes()
    assert f"0 to build, {len(ALL_TARGETS)} up to date" in build(GOOD, merged)
    assert manifest(merged) == manifest(reference)
    assert snapshot(merged) == snapshot(reference)


def test_list_json_and_usage_errors() -> None:
    listed = run_cli("list", "--content", GOOD, "--json", "--audience", "public")
    assert listed.code == 0
    rows = json.loads(listed.stdout)
    public = [t for t in ALL_TARGETS if t.startswith("public/")]
    assert public == [
        *(f"public/alpha-pact.{fmt}" for fmt in ("docx", "pdf")),
        *(f"public/book.{fmt}" for fmt in ("docx", "pdf")),
        *(f"public/countries/{code}.{fmt}" for code in ("AR", "BR", "CL") for fmt in ("docx", "pdf")),
    ]
    assert sorted(rows, key=lambda r: r["target"]) == [
        {
            "target": t,
            "product": product_and_subject(t)[0],
            "subject": product_and_subject(t)[1],
            "audience": "public",
            "edition": "en",
            "format": t.rsplit(".", 1)[1],
        }
        for t in public
    ]
    # every target, each once
    listed = run_cli("list", "--content", GOOD, "--json")
    assert listed.code == 0
    assert sorted(r["target"] for r in json.loads(listed.stdout)) == ALL_TARGETS
    listed = run_cli("list", "--content", GOOD, "--product", "countries", "--product", "book")
    assert listed.code == 0
    assert sorted(listed.stdout.split()) == sorted(BOOKS + COUNTRIES)
    for command in ("build", "list"):
        unknown = run_cli(command, "--content", GOOD, "--product", "pamphlet")
        assert unknown.code == 2, command
        assert "unknown product 'pamphlet'; choose from: book, brief, countries" in unknown.stderr
    unknown = run_cli("build", "--content", GOOD, "--audience", "press")
    assert unknown.code == 2
    assert "unknown audience 'press'; choose from: analyst, executive, public, staff" in unknown.stderr
    unknown = run_cli("build", "--content", GOOD, "--instrument", "gamma")
    assert unknown.code == 2
    assert "unknown instrument 'gamma'; choose from: alpha-pact, beta-forum" in unknown.stderr
    wrong = run_cli("build", "--content", GOOD, "--format", "odt")
    assert wrong.code == 2
    assert "'odt' is not one of 'pdf', 'docx'" in wrong.stderr
    shard = run_cli("list", "--content", GOOD, "--shard", "3/2")
    assert shard.code == 2


def test_a_build_narrowed_to_a_product_writes_only_its_documents(reference: Path, tmp_path: Path) -> None:
    listed = run_cli("list", "--content", GOOD, "--product", "book")
    assert listed.code == 0
    assert sorted(listed.stdout.split()) == BOOKS
    output = tmp_path / "output"
    shutil.copytree(reference, output)
    before = snapshot(output)
    # two books to write again; a brief, a country brief and two index pages gone, outside the filter
    missing = ["analyst/book.docx", "public/book.pdf"]
    outside = ["public/alpha-pact.pdf", "analyst/countries/NO.docx", "index.html", "staff/index.html"]
    for name in missing + outside:
        (output / name).unlink()
    log = build(GOOD, output, "--product", "book")
    assert built_targets(log) == missing
    assert f"{len(missing)} to build, {len(BOOKS) - len(missing)} up to date" in log
    # the books as a full build writes them; nothing outside the filter written (no index page) or removed
    after = snapshot(output)
    del after["manifest.json"]
    assert after == {k: v for k, v in before.items() if k not in outside and k != "manifest.json"}
    books = [e for e in manifest(output)["targets"] if e["product"] == "book"]
    assert books == [e for e in manifest(reference)["targets"] if e["product"] == "book"]
    assert [e["target"] for e in books] == BOOKS

    unknown = run_cli("build", "--content", GOOD, "--output", tmp_path / "unknown", "--product", "pamphlet")
    assert unknown.code == 2
    assert "unknown product 'pamphlet'; choose from: book, brief, countries" in unknown.stderr
    assert not (tmp_path / "unknown").exists()


def test_clean_removes_only_a_generated_folder(reference: Path, tmp_path: Path) -> None:
    output = tmp_path / "output"
    shutil.copytree(reference, output)
    assert run_cli("clean", "--output", output).code == 0
    assert not output.exists()
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work", encoding="utf-8")
    refused = run_cli("clean", "--output", precious)
    assert refused.code == 1
    assert "refusing to delete a folder this tool did not make" in refused.stderr
    assert (precious / "thesis.txt").exists()


def test_keep_html_writes_the_intermediate_html_beside_the_pdf(tmp_path: Path) -> None:
    output = tmp_path / "output"
    build(GOOD, output, "--html", "--format", "pdf", "--audience", "public")
    html = (output / "public" / "alpha-pact.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "Alpha Pact" in html


def test_an_unwritable_output_is_a_located_error_not_a_traceback(tmp_path: Path) -> None:
    output = tmp_path / "output"
    output.mkdir()
    (output / "public").write_text("a file where a folder should be", encoding="utf-8")
    result = run_cli(
        "build", "--content", GOOD, "--output", output, "--audience", "public", "--format", "docx"
    )
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert f"{output}/public/alpha-pact.docx:0:0: cannot write: " in result.stderr


def test_render_warnings_carry_their_formats_category_and_fail_under_strict(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    with (templates / "briefing" / "briefing.css").open("a", encoding="utf-8") as css:
        css.write("\np { colr: red; }\n")
    one = ("--content", GOOD, "--templates", templates, "--audience", "public", "--format", "pdf", "-j", "2")
    done = run_cli("build", *one, "--output", tmp_path / "out")
    assert done.code == 0, done.stderr
    # Located at the subject's file (the instrument's; the book's audiences.yaml, as the book is the
    # audience's; the country briefs' countries.yaml); the category is the writer's, else its format's
    # (`render.pdf`). Every PDF of the public's uses the stylesheet: one warning each.
    pdfs = [t for t in ALL_TARGETS if t.startswith("public/") and t.endswith(".pdf")]
    assert pdfs == [
        "public/alpha-pact.pdf",
        "public/book.pdf",
        "public/countries/AR.pdf",
        "public/countries/BR.pdf",
        "public/countries/CL.pdf",
    ]
    sources = {
        "brief": "instruments/alpha-pact.yaml",
        "book": "audiences.yaml",
        "countries": "countries.yaml",
    }
    lines = [line for line in done.stderr.splitlines() if "colr" in line]
    assert len(lines) == len(pdfs), lines
    for target in pdfs:
        [line] = [line for line in lines if f" (building {target}) " in line]
        source = (GOOD / sources[product_and_subject(target)[0]]).relative_to(ROOT)
        assert line.startswith(f"{source}:1:1: warning: Ignored `colr: red` at "), line
        assert re.search(rf" \(building {re.escape(target)}\) \[render\.[a-z-]+\]$", line), line
    strict = run_cli("build", *one, "--output", tmp_path / "strict", "--strict")
    assert strict.code == 1
    lines = [line for line in strict.stderr.splitlines() if "colr" in line]
    assert len(lines) == len(pdfs), lines
    for target in pdfs:
        [line] = [line for line in lines if f" (building {target}) " in line]
        assert re.search(rf" \(building {re.escape(target)}\) \[render\.[a-z-]+\] \(--strict\)$", line), line
        assert not (tmp_path / "strict" / target).exists(), target
