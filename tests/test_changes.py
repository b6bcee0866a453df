"""Change memos through the real command line: `changes --since REF` and `--previous-content DIR`.

The canary fixture is committed to a throwaway git repository, then edited at every level: prose items
edited, inserted and deleted in each section, a member joining at each level and an internal one leaving, a
public item raised to restricted (and reworded), a restricted item added to another file, a third file only
re-dated. Every token carries its level (`YYSUMPUBEDITYY`: summary, public, edit), so each output of each
audience is read back (PDF text, metadata, outline and bytes; every part of the DOCX) and must hold no token
above the audience's clearance, hold the changes it may see, and exist only where the audience's view
changed. Accepting every tracked change gives the new memo's text, rejecting them the old one's (pandoc).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, ROOT, TEMPLATES, Run, run_cli
from revision_readers import libreoffice_paragraphs, soffice

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDFs back")

pytestmark = pytest.mark.slow

AUDIENCES = {"executive": "RES", "analyst": "RES", "staff": "INT", "public": "PUB"}
RANK = {"PUB": 0, "INT": 1, "RES": 2}
TOKEN = re.compile(r"(?:ZZ|YY)([A-Z]{3})(PUB|INT|RES)([A-Z]*?)(?:ZZ|YY)")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Office",
    "GIT_AUTHOR_EMAIL": "office@example.org",
    "GIT_COMMITTER_NAME": "Office",
    "GIT_COMMITTER_EMAIL": "office@example.org",
    "GIT_AUTHOR_DATE": "2026-11-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-01T00:00:00Z",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}
LEVEL_OF = {"PUB": "public", "INT": "internal", "RES": "restricted"}


def cli(command: str, *args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Run:
    """The command line run from `cwd` (the repository), with the project's templates."""
    return run_cli(command, "--templates", TEMPLATES, *args, cwd=cwd, env=env)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def item(text: str, level: str, **extra: object) -> dict[str, object]:
    return {"text": text, **({"release": LEVEL_OF[level]} if level != "PUB" else {}), **extra}


def edit_mixed(path: Path) -> None:
    """The second edition of canary-mixed: every kind of change at every level."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def level_of(entry: object) -> str:
        if isinstance(entry, dict):
            return {"public": "PUB", "internal": "INT", "restricted": "RES"}[entry.get("release", "public")]
        return "PUB"

    def text_of(entry: object) -> str:
        return entry["text"] if isinstance(entry, dict) else str(entry)

    for group, code in (("summary", "SUM"), ("assessment", "ASS")):  # edited: one word added to each
        data[group] = [
            item(text_of(e).replace(".", f" and YY{code}{level_of(e)}EDITYY."), level_of(e))
            for e in data[group]
        ]
    for group in ("objectives", "recommendations"):  # deleted: every item but one new public one
        data[group] = [f"YY{group[:3].upper()}PUBNEWYY {group[:-1]}."]
    for group, code, extra in (
        ("activities", "ACT", {"kind": "exercise"}),
        ("challenges", "CHA", {}),
    ):
        data[group] += [item(f"YY{code}{level}NEWYY new item.", level, **extra) for level in RANK]
    # raised from public to restricted, and reworded: for staff and public it is simply gone
    first = data["timeline"][0]
    data["timeline"][0] = {**first, "text": "ZZTIMPUBZZ event, YYTIMRESRECLASSYY.", "release": "restricted"}
    data["timeline"].append({"date": "2026-10-01", "text": "YYTIMPUBNEWYY event."})
    data["status"]["note"] = {"text": "ZZNOTRESZZ status note, YYNOTRESEDITYY.", "release": "restricted"}
    for code, level in (("PE", "PUB"), ("UY", "INT"), ("PY", "RES")):
        row = {"country": code, "joined": "2026-10-01", "role": f"YYROL{level}NEWYY role."}
        data["members"].append({**row, **({"release": LEVEL_OF[level]} if level != "PUB" else {})})
    brazil = next(m for m in data["members"] if m["country"] == "BR")
    brazil["left"] = "2026-09-01"  # an internal member leaves
    data["as_of"] = "2026-11-30"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def second_edition(content: Path) -> None:
    countries = content / "countries.yaml"
    countries.write_text(
        countries.read_text(encoding="utf-8")
        + "PE: {name: {en: Peru, es: Perú, pt: Peru}, subregion: south-america, oas_member: true}\n"
        + "UY: {name: {en: Uruguay, es: Uruguay, pt: Uruguai}, subregion: south-america, oas_member: true}\n"
        + "PY: {name: {en: Paraguay, es: Paraguay, pt: Paraguai}, subregion: south-america, oas_member: true}\n",
        encoding="utf-8",
    )
    edit_mixed(content / "instruments" / "canary-mixed.yaml")
    public = content / "instruments" / "canary-public.yaml"
    text = public.read_text(encoding="utf-8")
    text = text.replace(
        "assessment: [ZZASSPUBZZ assessment.]",
        "assessment: [ZZASSPUBZZ assessment., {text: YYASSRESONLYYY assessment., release: restricted}]",
    ).replace("as_of: 2026-11-01", "as_of: 2026-11-30")
    public.write_text(text, encoding="utf-8")
    secret = content / "instruments" / "canary-secret.yaml"
    secret.write_text(re.sub(r"as_of: \S+", "as_of: 2026-11-30", secret.read_text(encoding="utf-8")), "utf-8")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose HEAD holds the first edition and whose work tree holds the second."""
    root = tmp_path_factory.mktemp("changes") / "repo"
    shutil.copytree(FIXTURES / "canary", root / "content")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "content")
    git(root, "commit", "-q", "-m", "first edition")
    second_edition(root / "content")
    return root


@pytest.fixture(scope="module")
def built(repo: Path) -> Path:
    output = repo.parent / "output"
    result = cli("changes", "--since", "HEAD", "--output", output, "-j", "2", cwd=repo)
    assert result.code == 0, result.stderr
    return output


def pdf_everywhere(path: Path) -> str:
    data = path.read_bytes()
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
    return "\n".join([text, "".join(text.split()), metadata, json.dumps(reader.outline, default=str)])


def docx_parts(path: Path) -> dict[str, str]:
    """Every XML part of the package (pictures, such as the map's PNG, hold no text)."""
    with zipfile.ZipFile(path) as package:
        return {
            name: package.read(name).decode("utf-8")
            for name in package.namelist()
            if name.endswith((".xml", ".rels"))
        }


def docx_everywhere(path: Path) -> str:
    parts = docx_parts(path)
    return "\n".join([*parts.values(), *(re.sub(r"<[^>]*>", "", xml) for xml in parts.values())])


def memos(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*") if p.suffix in (".pdf", ".docx"))


def test_only_the_audiences_whose_view_changed_get_a_change_memo(built: Path) -> None:
    found = {p.relative_to(built).as_posix() for p in memos(built)}
    expected = {
        f"{audience}/changes/{name}.{fmt}"
        for audience in AUDIENCES
        for name in ("canary-mixed",)
        for fmt in ("pdf", "docx")
    } | {
        # a restricted assessment added: only the audiences cleared for it that show assessments
        f"{audience}/changes/canary-public.{fmt}"
        for audience in ("executive", "analyst")
        for fmt in ("pdf", "docx")
    }
    assert found == expected  # canary-secret was only re-dated: nobody gets a memo on it


@pytest.mark.parametrize("audience", AUDIENCES)
def test_no_change_memo_carries_anything_above_its_audience(built: Path, audience: str) -> None:
    clearance = RANK[AUDIENCES[audience]]
    for path in (built / audience / "changes").iterdir():
        text = pdf_everywhere(path) if path.suffix == ".pdf" else docx_everywhere(path)
        tokens = {match.group(0) for match in TOKEN.finditer(text)}
        assert tokens, f"{path} holds no token at all: the reader failed"
        above = {t for t in tokens if RANK[TOKEN.fullmatch(t).group(2)] > clearance}  # type: ignore[union-attr]
        assert not above, f"{path.relative_to(built)} carries {sorted(above)}"


def test_the_public_memo_shows_its_changes_and_nothing_of_the_internal_member(built: Path) -> None:
    parts = docx_parts(built / "public" / "changes" / "canary-mixed.docx")
    body = parts["word/document.xml"]
    inserted = " ".join(re.findall(r"<w:ins\b.*?</w:ins>", body, re.S))
    deleted = " ".join(re.findall(r"<w:del\b.*?</w:del>", body, re.S))
    for token in ("YYSUMPUBEDITYY", "YYOBJPUBNEWYY", "YYTIMPUBNEWYY", "YYROLPUBNEWYY", "Peru"):
        assert token in inserted, token
    for token in ("ZZOBJPUBZZ", "ZZTIMPUBZZ"):  # deleted; the reclassified event is, for the public, gone
        assert token in re.sub(r"<[^>]*>", "", deleted), token
    assert "Brazil" not in docx_everywhere(built / "public" / "changes" / "canary-mixed.docx")
    page = pdf_everywhere(built / "public" / "changes" / "canary-mixed.pdf")
    for token in ("YYSUMPUBEDITYY", "ZZOBJPUBZZ", "YYTIMPUBNEWYY", "Peru"):
        assert token in page, token
    assert "Brazil" not in page and "Uruguay" not in page and "Paraguay" not in page


def test_the_analyst_memo_shows_every_level_and_the_member_who_left(built: Path) -> None:
    docx_text = docx_everywhere(built / "analyst" / "changes" / "canary-mixed.docx")
    page = pdf_everywhere(built / "analyst" / "changes" / "canary-mixed.pdf")
    for token in ("YYSUMRESEDITYY", "YYTIMRESRECLASSYY", "YYNOTRESEDITYY", "YYROLINTNEWYY", "ZZOBJRESZZ"):
        assert token in docx_text, token
        assert token in page, token
    assert "Brazil" in page and "Uruguay" in page and "Paraguay" in page
    for when in ("1 November 2026", "30 November 2026"):  # the two editions' dates
        assert when in " ".join(page.split()), when


def test_tracked_changes_carry_the_office_and_the_new_date(built: Path) -> None:
    body = docx_parts(built / "analyst" / "changes" / "canary-mixed.docx")["word/document.xml"]
    marks = re.findall(r"<w:(ins|del) ([^>]*)>", body)
    assert len(marks) > 20
    assert all('w:author="Fixture Planning Office"' in attrs for _, attrs in marks)
    assert all('w:date="2026-11-30T00:00:00Z"' in attrs for _, attrs in marks)
    ids = [re.search(r'w:id="(\d+)"', attrs).group(1) for _, attrs in marks]  # type: ignore[union-attr]
    assert len(ids) == len(set(ids))
    assert "<w:delText" in body and "<w:trPr>" in body


@pytest.fixture(scope="module")
def editions(repo: Path) -> tuple[Path, Path]:
    """The plain memos of the new and the old edition (no tracked changes), built by `build`."""
    new_output, old_output = repo.parent / "new", repo.parent / "old"
    first = repo.parent / "first-edition"
    subprocess.run(["git", "worktree", "add", "-q", str(first), "HEAD"], cwd=repo, check=True)
    for content, output in ((repo / "content", new_output), (first / "content", old_output)):
        result = cli("build", "--content", content, "--output", output, "--format", "docx")
        assert result.code == 0, result.stderr
    return new_output, old_output


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_accepts_to_the_new_memo_and_rejects_to_the_old(
    editions: tuple[Path, Path], built: Path, tmp_path: Path
) -> None:
    new_output, old_output = editions
    jobs = []
    for audience in AUDIENCES:
        change = built / audience / "changes" / "canary-mixed.docx"
        jobs += [(change, "accept"), (change, "reject")]
        jobs += [(new_output / audience / "canary-mixed.docx", "accept")]
        jobs += [(old_output / audience / "canary-mixed.docx", "accept")]
    read = libreoffice_paragraphs(jobs, tmp_path)
    for audience in AUDIENCES:
        change = built / audience / "changes" / "canary-mixed.docx"
        accepted, rejected = read[change, "accept"], read[change, "reject"]
        assert accepted.changes_before > 0 and accepted.changes_after == rejected.changes_after == 0
        assert accepted.paragraphs == read[new_output / audience / "canary-mixed.docx", "accept"].paragraphs
        assert rejected.paragraphs == read[old_output / audience / "canary-mixed.docx", "accept"].paragraphs
        assert accepted.paragraphs != rejected.paragraphs


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc reads the tracked changes back")
@pytest.mark.parametrize("audience", ["public", "analyst"])
def test_accepting_all_gives_the_new_memo_and_rejecting_all_the_old(
    editions: tuple[Path, Path], built: Path, audience: str
) -> None:
    def plain(path: Path, mode: str = "accept") -> list[str]:
        """The memo's text lines, whitespace squeezed. pandoc keeps a paragraph whose mark is deleted as an
        empty paragraph (an empty list item, an empty table row): lines with no word are left out."""
        done = subprocess.run(
            ["pandoc", f"--track-changes={mode}", "-t", "plain", "--wrap=none", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        lines = (" ".join(line.split()) for line in done.stdout.splitlines())
        return [line for line in lines if re.search(r"\w", re.sub(r"^(\d+\.|-)\s*", "", line))]

    new_output, old_output = editions
    memo = built / audience / "changes" / "canary-mixed.docx"
    accepted, rejected = plain(memo, "accept"), plain(memo, "reject")
    assert accepted == plain(new_output / audience / "canary-mixed.docx")
    assert rejected == plain(old_output / audience / "canary-mixed.docx")
    assert accepted != rejected


def test_changes_are_incremental_deterministic_and_kept_apart_from_the_briefs(
    repo: Path, built: Path, tmp_path: Path
) -> None:
    shutil.copytree(built, tmp_path / "output")  # the other tests read `built` as the first run left it
    built = tmp_path / "output"
    before = {p: p.read_bytes() for p in memos(built)}
    again = cli("changes", "--since", "HEAD", "--output", built, "-j", "2", cwd=repo)
    assert again.code == 0 and "0 to build" in again.stderr, again.stderr
    forced = cli("changes", "--since", "HEAD", "--output", built, "--force", "-j", "2", cwd=repo)
    assert forced.code == 0, forced.stderr
    assert {p: p.read_bytes() for p in memos(built)} == before
    # a build answers for the briefs only: it keeps the change memos, and `changes` keeps the briefs
    brief = cli("build", "--output", built, "-j", "2", "--instrument", "canary-public", cwd=repo)
    assert brief.code == 0, brief.stderr
    full = cli("build", "--output", built, "-j", "2", cwd=repo)
    assert full.code == 0 and "removed" not in full.stderr, full.stderr
    assert all(p.exists() for p in before)
    rerun = cli("changes", "--since", "HEAD", "--output", built, cwd=repo)
    assert rerun.code == 0 and "removed" not in rerun.stderr, rerun.stderr
    assert (built / "public" / "canary-public.pdf").exists()
    # against the new edition itself nothing changed: the change memos are retired, the briefs stay
    same = cli("changes", "--previous-content", repo / "content", "--output", built, cwd=repo)
    assert same.code == 0, same.stderr
    assert not (built / "public" / "changes").exists() or not any((built / "public" / "changes").iterdir())
    assert (built / "public" / "canary-public.pdf").exists()


def test_previous_content_folder_gives_the_same_memos(repo: Path, tmp_path: Path) -> None:
    first = tmp_path / "first"
    shutil.copytree(FIXTURES / "canary", first)
    by_folder, by_revision = tmp_path / "by-folder", tmp_path / "by-revision"
    result = cli("changes", "--previous-content", first, "--output", by_folder, "-j", "2", cwd=repo)
    assert result.code == 0, result.stderr
    result = cli("changes", "--since", "HEAD", "--output", by_revision, "-j", "2", cwd=repo)
    assert result.code == 0, result.stderr
    assert memos(by_folder)
    assert {p.relative_to(by_folder): p.read_bytes() for p in memos(by_folder)} == {
        p.relative_to(by_revision): p.read_bytes() for p in memos(by_revision)
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "no-such-ref"], "no such revision"),
        (["--since", "--output=/tmp/x"], "is not a git revision"),
        ([], "one of --since REF or --previous-content DIR"),
        (
            ["--since", "HEAD", "--previous-content", "content"],
            "one of --since REF or --previous-content DIR",
        ),
        (["--previous-content", "missing"], "does not exist"),
    ],
)
def test_a_wrong_last_edition_is_a_usage_error_writing_nothing(
    repo: Path, args: list[str], message: str
) -> None:
    output = repo.parent / "untouched"
    result = cli("changes", *args, "--output", output, cwd=repo)
    assert result.code == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not output.exists()


def test_content_outside_git_is_told_to_use_previous_content(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "canary", tmp_path / "content")
    result = cli(
        "changes",
        "--since",
        "HEAD",
        "--output",
        tmp_path / "out",
        cwd=tmp_path,
        env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)},
    )
    assert result.code == 2 and "--previous-content" in result.stderr, result.stderr


def test_a_last_edition_that_fails_validation_is_located_at_its_revision(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    broken = clone / "content" / "instruments" / "canary-public.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("kind: board", "kind: [board"), "utf-8")
    git(clone, "commit", "-q", "-am", "broken edition")
    fixed = clone / "content" / "instruments" / "canary-public.yaml"
    shutil.copy(FIXTURES / "canary" / "instruments" / "canary-public.yaml", fixed)
    result = cli("changes", "--since", "HEAD", "--output", tmp_path / "out", cwd=clone)
    assert result.code == 1, result.stderr
    assert re.search(r"^HEAD:content/instruments/canary-public\.yaml:\d+:\d+: ", result.stderr, re.M), (
        result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_the_job_summary_says_what_changed_at_the_public_level_only(repo: Path, built: Path) -> None:
    result = run_cli("summary", "--output", built, "--since", "HEAD", cwd=repo)
    assert result.code == 0, result.stderr
    text = result.stdout
    assert text.startswith("**PUBLIC**\n")
    section = text[text.index("### Changed since HEAD") : text.index("### Overdue")]
    assert "| Canary Mixed Accord | " in section
    for what in ("summary 1 edited", "objectives 1 edited", "timeline 1 edited", "members 1 added"):
        assert what in section, what
    assert "deleted" not in section  # the public timeline item raised to restricted pairs with the new one
    # canary-public changed only above public: the public summary does not name it
    assert "Canary Public Board" not in section
    assert not [t for t in TOKEN.findall(text) if t[1] != "PUB"]
    analyst = run_cli("summary", "--output", built, "--since", "HEAD", "--audience", "analyst", cwd=repo)
    assert analyst.code == 0 and "| Canary Public Board | assessment 1 inserted" in analyst.stdout


def test_openxml_audit_finds_nothing_in_any_change_memo(built: Path) -> None:
    audit = Path(sys.executable).parent / "openxml-audit"  # in requirements-dev.lock
    assert audit.is_file(), "openxml-audit is missing from the venv: pip install -r requirements-dev.lock"
    paths = sorted(built.rglob("changes/*.docx"))
    assert len(paths) == 6
    for path in paths:
        done = subprocess.run(
            [str(audit), "--output", "json", "--max-errors", "0", str(path)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        (report,) = json.loads(done.stdout)
        assert report["valid"] and report["error_count"] == report["warning_count"] == 0, report
        assert done.returncode == 0
