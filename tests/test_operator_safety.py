"""What the tool removes, and only that: stale files after a build, `clean`, `merge`, failed builds, bad manifests.

Every test runs the command line on a small copy of the good fixture tree (audiences public, staff and a
public `press` clone) and reads the output folder and manifest.json back. A full build of it writes each
audience's briefs, its briefing book and its country briefs (TARGETS).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import GOOD, TEMPLATES, run_cli

pytestmark = pytest.mark.slow

PRESS = """press:
  title: Press
  description: Press office (a second public audience).
  clearance: public
  marking: PRESS RELEASE
  sections: [key_facts, summary, members, objectives, timeline, sources]
  page_budget: 4
  memo_for: Press Office
"""
AUDIENCES = ("press", "public", "staff")
# Briefs: alpha-pact (public) goes to every audience, beta-forum (internal) to staff only.
BRIEFS = [
    *(f"{a}/alpha-pact.{f}" for a in AUDIENCES for f in ("pdf", "docx")),
    "staff/beta-forum.pdf",
    "staff/beta-forum.docx",
]
# A briefing book for every audience cleared for some instrument: all three (alpha-pact).
BOOKS = [f"{a}/book.{f}" for a in AUDIENCES for f in ("pdf", "docx")]
# A country brief for each country an audience's views list as member or partner: alpha-pact's members
# AR, BR and CL in every audience (its partner NO is in no audience's sections; beta-forum lists nobody).
COUNTRIES = [f"{a}/countries/{c}.{f}" for a in AUDIENCES for c in ("AR", "BR", "CL") for f in ("pdf", "docx")]
TARGETS = sorted([*BRIEFS, *BOOKS, *COUNTRIES])
HTML = sorted(t.replace(".pdf", ".html") for t in TARGETS if t.endswith(".pdf"))
INDEX = ["index.html", "press/index.html", "public/index.html", "staff/index.html"]


def product_and_subject(target: str) -> tuple[str, str]:
    """What a target of TARGETS is, from its path: (product, subject)."""
    _, _, rest = target.partition("/")
    stem = rest.rsplit(".", 1)[0]
    if stem == "book":
        return "book", "book"
    if stem.startswith("countries/"):
        return "countries", stem.removeprefix("countries/")
    return "brief", stem


def under(paths: list[str], *audiences: str, suffix: str = "") -> list[str]:
    """Those of `paths` in the audiences' folders (and ending with `suffix`), sorted."""
    return sorted(p for p in paths if p.split("/", 1)[0] in audiences and p.endswith(suffix))


def small_tree(folder: Path) -> Path:
    """The good fixture tree with audiences public, staff and press."""
    shutil.copytree(GOOD, folder)
    audiences = folder / "audiences.yaml"
    chunks: list[list[str]] = []  # one per top-level key
    for line in audiences.read_text(encoding="utf-8").splitlines(keepends=True):
        if not line[0].isspace():
            chunks.append([])
        chunks[-1].append(line)
    chosen = "".join("".join(c) for c in chunks if c[0].startswith(("staff:", "public:")))
    audiences.write_text(chosen + PRESS, encoding="utf-8")
    return folder


def files(output: Path) -> dict[str, bytes]:
    return {
        p.relative_to(output).as_posix(): p.read_bytes()
        for p in sorted(output.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def manifest(output: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    return data


def tracked(output: Path) -> dict[str, str]:
    """Every file the manifest records, path -> sha256."""
    data = manifest(output)
    paths = dict(data["files"])
    for entry in data["targets"]:
        paths[entry["path"]] = entry["sha256"]
        paths.update(entry["side_files"])
    return paths


def assert_manifest_matches_disk(output: Path, own: frozenset[str] = frozenset()) -> None:
    """The manifest lists exactly the files on disk (but the manifest and the user's `own`), hashes right."""
    recorded = tracked(output)
    on_disk = files(output)
    assert sorted(set(on_disk) - {"manifest.json"} - own) == sorted(recorded)
    for path, digest in recorded.items():
        assert hashlib.sha256(on_disk[path]).hexdigest() == digest, path


def build(content: Path, output: Path, *args: str) -> str:
    done = run_cli("build", "--content", content, "--output", output, "-j", "2", *args)
    assert done.code == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


def removed(output: Path, stderr: str) -> list[str]:
    prefix = f"removed {output}/"
    return sorted(line[len(prefix) :] for line in stderr.splitlines() if line.startswith(prefix))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_tree(tmp_path_factory.mktemp("small") / "content")


@pytest.fixture(scope="module")
def with_html(small: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A full build of the small tree with --html (read-only: tests copy it)."""
    output = tmp_path_factory.mktemp("with-html") / "output"
    build(small, output, "--html")
    return output


@pytest.fixture
def content(small: Path, tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(small, target)
    return target


@pytest.fixture
def output(with_html: Path, tmp_path: Path) -> Path:
    target = tmp_path / "output"
    shutil.copytree(with_html, target)
    return target


# === stale files after a build ============================================================================


def test_the_manifest_records_every_file_the_build_wrote(with_html: Path) -> None:
    data = manifest(with_html)
    assert data["format"] == 3 and str(data["generator"]).startswith("atalaya ")
    assert sorted(data["files"]) == INDEX
    assert [e["target"] for e in data["targets"]] == TARGETS
    for entry in data["targets"]:
        target = entry["target"]
        assert (entry["product"], entry["subject"]) == product_and_subject(target), target
        assert (entry["audience"], entry["format"], entry["path"]) == (
            target.split("/", 1)[0],
            target.rsplit(".", 1)[1],
            target,
        ), target
    sides = {e["target"]: sorted(e["side_files"]) for e in data["targets"]}
    assert sides == {t: [t.replace(".pdf", ".html")] if t.endswith(".pdf") else [] for t in TARGETS}
    assert_manifest_matches_disk(with_html)
    text = (with_html / "manifest.json").read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def test_a_full_build_removes_what_it_no_longer_produces_and_lists_it(content: Path, output: Path) -> None:
    (output / "notes.txt").write_text("the user's own", encoding="utf-8")
    (output / "public" / "mine.txt").write_text("the user's own", encoding="utf-8")
    # alpha-pact raised above public; the press audience dropped; --html dropped
    edit(content / "instruments" / "alpha-pact.yaml", "release: public", "release: internal")
    audiences = content / "audiences.yaml"
    audiences.write_text(audiences.read_text(encoding="utf-8").replace(PRESS, ""), encoding="utf-8")
    log = build(content, output)
    # public and press are now cleared for nothing: no brief, book or country brief; staff keeps its
    # documents (alpha-pact's members are still in its view) but loses every HTML
    kept = under(TARGETS, "staff")
    assert len(kept) == 12
    expected = sorted({*under(TARGETS, "press", "public"), *HTML, "press/index.html"})
    assert removed(output, log) == expected
    for path in expected:
        assert not os.path.lexists(output / path)
    assert not (output / "press").exists()  # emptied by the removal
    assert not (output / "public" / "countries").exists()
    assert (output / "public").is_dir() and (output / "public" / "index.html").is_file()
    assert (output / "notes.txt").read_text(encoding="utf-8") == "the user's own"
    assert (output / "public" / "mine.txt").is_file()
    assert [t["target"] for t in manifest(output)["targets"]] == kept
    assert_manifest_matches_disk(output, own=frozenset({"notes.txt", "public/mine.txt"}))
    again = build(content, output)
    assert removed(output, again) == [] and f"0 to build, {len(kept)} up to date" in again


def test_kept_html_is_checked_by_hash_and_rebuilt_when_edited(content: Path, output: Path) -> None:
    page = output / "staff" / "beta-forum.html"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"Beta Forum", b"Tampered Forum"))
    log = build(content, output, "--html")
    assert f"1 to build, {len(TARGETS) - 1} up to date" in log
    assert "staff/beta-forum.pdf (" in log
    assert page.read_bytes() == original
    page.unlink()
    assert f"1 to build, {len(TARGETS) - 1} up to date" in build(content, output, "--html")
    assert page.read_bytes() == original
    assert_manifest_matches_disk(output)


def test_filtered_builds_remove_only_inside_their_filters(content: Path, output: Path) -> None:
    edit(content / "instruments" / "alpha-pact.yaml", "release: public", "release: internal")
    before = files(output)
    # public and press are now cleared for nothing: none of their briefs, books and country briefs is planned
    press_pdf = under(TARGETS, "press", suffix=".pdf")
    public_pdf = under(TARGETS, "public", suffix=".pdf")
    assert len(press_pdf) == len(public_pdf) == 5

    # DOCX only: the public and press memos go; their PDFs and every HTML stay.
    log = build(content, output, "--format", "docx")
    assert removed(output, log) == under(TARGETS, "press", "public", suffix=".docx")
    listed = [t["target"] for t in manifest(output)["targets"]]
    assert [t for t in listed if not t.startswith("staff/")] == sorted([*press_pdf, *public_pdf])
    for path in (*HTML, *public_pdf, *press_pdf, *INDEX):
        assert (output / path).read_bytes() == before[path], path  # index pages: only a full build

    # The public PDFs without --html: the public PDFs and their HTML go; the press ones stay.
    log = build(content, output, "--format", "pdf", "--audience", "public")
    assert removed(output, log) == sorted([*public_pdf, *under(HTML, "public")])
    for path in (*press_pdf, *under(HTML, "press")):
        assert (output / path).is_file(), path
    assert_manifest_matches_disk(output)

    # A shard removes what no shard builds any more (press) and its own targets' HTML, not the others'.
    shard = run_cli("list", "--content", content, "--shard", "1/3").stdout.split()
    mine = {t.replace(".pdf", ".html") for t in shard if t.endswith(".pdf")}
    assert mine == {"staff/alpha-pact.html", "staff/countries/BR.html"}
    others = sorted(set(under(HTML, "staff")) - mine)
    assert others == [
        "staff/beta-forum.html",
        "staff/book.html",
        "staff/countries/AR.html",
        "staff/countries/CL.html",
    ]
    log = build(content, output, "--shard", "1/3")
    assert removed(output, log) == sorted({*press_pdf, *under(HTML, "press"), *mine})
    for path in others:
        assert (output / path).is_file(), path  # another shard's
    assert_manifest_matches_disk(output)

    # The full build finishes the job: the other shards' HTML goes (press keeps its index page, now empty).
    log = build(content, output)
    assert removed(output, log) == others
    assert sorted(files(output / "press")) == ["index.html"]
    assert sorted(files(output / "public")) == ["index.html"]
    assert [t["target"] for t in manifest(output)["targets"]] == under(TARGETS, "staff")
    assert_manifest_matches_disk(output)


# === failed builds and malformed manifests ===============================================================


def test_a_failed_build_leaves_the_manifest_and_the_stale_files_as_they_were(
    content: Path, output: Path, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    edit(
        templates / "briefing" / "public.html.j2",
        "{% block closing %}",
        "{% block closing %}{{ view.no_such_field }}",
    )
    before = (output / "manifest.json").read_bytes()
    done = run_cli(
        "build",
        *("--content", content, "--templates", templates, "--output", output, "--format", "pdf"),
        *("--instrument", "alpha-pact", "--audience", "public", "--audience", "staff"),
    )
    assert done.code == 1, done.stderr
    assert "public/alpha-pact.pdf FAILED" in done.stderr and "Traceback" not in done.stderr
    # staff's briefing (its input hash changed with the templates) was built and written, but nothing was
    # recorded, and no file the new build would no longer produce (the HTML, without --html) was removed
    assert "] staff/alpha-pact.pdf (" in done.stderr
    assert (output / "manifest.json").read_bytes() == before
    assert removed(output, done.stderr) == []
    for path in HTML:
        assert (output / path).is_file()


VICTIM = "victim.docx"


def _entry(data: dict[str, Any], target: str) -> dict[str, Any]:
    return next(e for e in data["targets"] if e["target"] == target)


# Each turns a good manifest (and a file outside the output folder) into the text of a bad one.
MALFORMED: dict[str, Callable[[dict[str, Any], Path], object]] = {
    "a-list": lambda data, victim: [data],
    "not-json": lambda data, victim: "{not json",
    "targets-a-string": lambda data, victim: {**data, "targets": "public/alpha-pact.docx"},
    "entry-missing-keys": lambda data, victim: {
        **data,
        "targets": [{"target": "public/alpha-pact.docx", "path": "public/alpha-pact.docx"}],
    },
    "path-a-number": lambda data, victim: _set(data, "path", 5),
    "bytes-a-string": lambda data, victim: _set(data, "bytes", "12"),
    "pages-a-string": lambda data, victim: _set(data, "pages", "2"),
    "path-absolute": lambda data, victim: _set(data, "path", str(victim), sha256=_sha(victim)),
    "path-dot-dot": lambda data, victim: _set(data, "path", f"../{victim.name}", sha256=_sha(victim)),
    "side-file-dot-dot": lambda data, victim: _set(data, "side_files", {f"../{victim.name}": _sha(victim)}),
    "index-page-absolute": lambda data, victim: {**data, "files": {str(victim): _sha(victim)}},
    "generator-foreign": lambda data, victim: {**data, "generator": "sphinx 8"},
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _set(data: dict[str, Any], key: str, value: object, **more: object) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(data))
    _entry(copy, "public/alpha-pact.docx").update({key: value, **more})
    return copy


PUBLIC_DOCX = ("--audience", "public", "--format", "docx")
PUBLIC_MEMOS = under(TARGETS, "public", suffix=".docx")  # its brief, book and country briefs


@pytest.fixture(scope="module")
def public_docx(small: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of the public memos only (read-only: tests copy it)."""
    output = tmp_path_factory.mktemp("public-docx") / "output"
    build(small, output, *PUBLIC_DOCX)
    assert [t["target"] for t in manifest(output)["targets"]] == PUBLIC_MEMOS
    return output


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_manifest_means_a_full_rebuild_not_a_traceback(
    case: str, small: Path, public_docx: Path, tmp_path: Path
) -> None:
    output = tmp_path / "output"
    shutil.copytree(public_docx, output)
    good = manifest(output)
    victim = tmp_path / VICTIM
    victim.write_bytes((output / "public" / "alpha-pact.docx").read_bytes())
    bad = MALFORMED[case](good, victim)
    (output / "manifest.json").write_text(bad if isinstance(bad, str) else json.dumps(bad), encoding="utf-8")
    log = build(small, output, *PUBLIC_DOCX)
    assert f"{len(PUBLIC_MEMOS)} to build, 0 up to date" in log
    assert victim.is_file() and removed(output, log) == []
    assert manifest(output) == good
    assert_manifest_matches_disk(output)


# === merge ===============================================================================================


def _docx_shard(public_docx: Path, folder: Path) -> Path:
    shutil.copytree(public_docx, folder)
    return folder / "manifest.json"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("absolute", "targets[0].path '/"),
        ("dot-dot", "targets[0].path '../public/alpha-pact.docx' contains '..'"),
        ("side-file-dot-dot", "targets[0].side_files: path '../x.html' contains '..'"),
        (
            "shard-link",
            "public/alpha-pact.docx: 'public/alpha-pact.docx' resolves outside the shard's folder",
        ),
        (
            "output-link",
            "public/alpha-pact.docx: 'public/alpha-pact.docx' resolves outside the output folder",
        ),
    ],
)
def test_merge_refuses_paths_outside_the_shard_or_the_output_folder(
    case: str, message: str, public_docx: Path, tmp_path: Path
) -> None:
    shard = _docx_shard(public_docx, tmp_path / "shard")
    merged = tmp_path / "merged"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = manifest(shard.parent)
    entry = _entry(data, "public/alpha-pact.docx")
    document = shard.parent / "public" / "alpha-pact.docx"
    if case == "absolute":
        entry["path"] = str(document)
    elif case == "dot-dot":
        entry["path"] = "../public/alpha-pact.docx"
    elif case == "side-file-dot-dot":
        entry["side_files"] = {"../x.html": "0" * 64}
    elif case == "shard-link":  # the shard's folder links out to a copy of the same file
        shutil.move(shard.parent / "public", elsewhere / "public")
        (shard.parent / "public").symlink_to(elsewhere / "public")
    elif case == "output-link":  # the output's folder links out: the merge must not write through it
        merged.mkdir()
        (merged / "public").symlink_to(elsewhere)
    shard.write_text(json.dumps(data), encoding="utf-8")
    done = run_cli("merge", shard, "--output", merged)
    assert done.code == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{shard}:1:1: {message}" in done.stderr
    assert not (merged / "manifest.json").exists()
    # nothing was written there: it holds only the shard's own memos, moved there in the shard-link case
    assert sorted(elsewhere.rglob("*.docx")) == (
        [] if case != "shard-link" else [elsewhere / path for path in PUBLIC_MEMOS]
    )


def test_merge_refuses_a_shard_written_before_editions(tmp_path: Path) -> None:
    shard = tmp_path / "shard" / "manifest.json"
    shard.parent.mkdir()
    shard.write_text(
        '{"generator": "atalaya 0.9", "format": 2, "targets": [], "files": {}}', encoding="utf-8"
    )
    done = run_cli("merge", shard, "--output", tmp_path / "merged")
    assert done.code == 1, done.stderr
    assert f"{shard}:1:1: manifest format 2: rebuild the shard with this version" in done.stderr
    assert not (tmp_path / "merged").exists()


def test_merged_html_shards_equal_a_one_shot_html_build(small: Path, with_html: Path, tmp_path: Path) -> None:
    shards = []
    for k in (1, 2):
        build(small, tmp_path / f"shard{k}", "--html", "--shard", f"{k}/2")
        shards.append(tmp_path / f"shard{k}" / "manifest.json")
    merged = tmp_path / "merged"
    done = run_cli("merge", *shards, "--output", merged)
    assert done.code == 0, done.stderr
    one_shot = manifest(with_html)
    data = manifest(merged)
    # merge copies documents and side files; the index pages are the next full build's to write
    assert data["targets"] == one_shot["targets"] and data["tools"] == one_shot["tools"]
    assert data["files"] == {}
    assert_manifest_matches_disk(merged)
    log = build(small, merged, "--html")  # as the CI merge job does after merging
    assert f"0 to build, {len(TARGETS)} up to date" in log
    assert manifest(merged) == one_shot
    assert files(merged) == files(with_html)


def test_merge_into_an_old_output_removes_what_the_merged_manifest_no_longer_lists(
    public_docx: Path, output: Path, tmp_path: Path
) -> None:
    (output / "notes.txt").write_text("mine", encoding="utf-8")
    shard = _docx_shard(public_docx, tmp_path / "shard")
    done = run_cli("merge", shard, "--output", output)
    assert done.code == 0, done.stderr
    assert [t["target"] for t in manifest(output)["targets"]] == PUBLIC_MEMOS
    assert sorted(files(output)) == sorted(["manifest.json", "notes.txt", *PUBLIC_MEMOS])
    assert removed(output, done.stderr) == sorted(set(TARGETS) - set(PUBLIC_MEMOS) | set(HTML) | set(INDEX))
    for path in PUBLIC_MEMOS:
        assert (output / path).read_bytes() == (public_docx / path).read_bytes(), path


# === clean ===============================================================================================


def test_clean_deletes_only_what_the_manifest_lists(output: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.pdf").write_bytes(b"%PDF- not the tool's")
    (output / "notes.txt").write_text("mine", encoding="utf-8")
    (output / "public" / "mine.txt").write_text("mine", encoding="utf-8")
    (output / "linked").symlink_to(outside)
    # the staff folder is swapped for a link to a folder outside holding files of the same names
    shutil.move(output / "staff", tmp_path / "staff-outside")
    (output / "staff").symlink_to(tmp_path / "staff-outside")
    done = run_cli("clean", "--output", output)
    assert done.code == 0, done.stderr
    assert sorted(files(output)) == ["notes.txt", "public/mine.txt"]
    assert sorted(p.name for p in output.iterdir()) == ["linked", "notes.txt", "public", "staff"]
    assert (outside / "precious.pdf").is_file()
    # every document, HTML and the index page of staff, in the folder and its countries/ folder
    assert sorted(files(tmp_path / "staff-outside")) == [
        p.removeprefix("staff/") for p in under([*TARGETS, *HTML, *INDEX], "staff")
    ]
    assert "kept" in done.stderr and "staff/alpha-pact.pdf" in done.stderr


def test_clean_removes_a_folder_holding_only_what_the_tool_wrote(with_html: Path, tmp_path: Path) -> None:
    output = tmp_path / "output"
    shutil.copytree(with_html, output)
    (output / "public" / ".partial-alpha-pact.pdf.123").write_bytes(b"left by a killed build")
    done = run_cli("clean", "--output", output)
    assert done.code == 0, done.stderr
    assert not output.exists()
    assert f"removed {len(TARGETS) + len(HTML) + len(INDEX) + 1} files from {output}" in done.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not a JSON manifest"),
        ('{"generator": "sphinx 8.1", "format": 2, "targets": [], "files": {}}', "not an atalaya manifest"),
        ('["atalaya"]', "not an atalaya manifest"),
        ('{"format": 2, "targets": [], "files": {}}', "not an atalaya manifest"),
    ],
    ids=["not-json", "other-generator", "a-list", "no-generator"],
)
def test_clean_refuses_a_folder_whose_manifest_is_not_atalayas(text: str, message: str, output: Path) -> None:
    (output / "manifest.json").write_text(text, encoding="utf-8")
    before = files(output)
    done = run_cli("clean", "--output", output)
    assert done.code == 1, done.stderr
    assert f"{output}/manifest.json:1:1: {message}" in done.stderr
    assert "refusing to clean" in done.stderr and "Traceback" not in done.stderr
    assert files(output) == before


# === the output folder is not an input folder =============================================================


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A folder holding content/ and templates/, as a checkout does."""
    shutil.copytree(GOOD, tmp_path / "content")
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    return tmp_path


@pytest.mark.parametrize(
    ("output", "relation"),
    [
        ("content", "is the content folder 'content'"),
        ("content/out", "lies inside the content folder 'content'"),
        (".", "contains the content folder 'content'"),
        ("templates", "is the templates folder 'templates'"),
        ("templates/briefing", "lies inside the templates folder 'templates'"),
        ("content/../templates/x", "lies inside the templates folder 'templates'"),
    ],
)
def test_build_and_merge_refuse_an_output_folder_that_overlaps_an_input(
    output: str, relation: str, workspace: Path, public_docx: Path
) -> None:
    shard = _docx_shard(public_docx, workspace / "shard")
    before = files(workspace)
    done = run_cli("build", "--output", output, "--format", "docx", cwd=workspace)
    assert done.code == 2, done.stderr
    assert f"Error: the output folder '{output}' {relation}" in done.stderr
    done = run_cli("merge", shard, "--output", output, cwd=workspace)
    assert done.code == 2, done.stderr
    assert f"Error: the output folder '{output}' {relation}" in done.stderr
    assert files(workspace) == before
