"""Spanish and Portuguese editions: every product in every language of office.yaml, built from translations
that know when they are out of date.

- A translated copy of the canary tree (`translated_tree`: every text of every file translated into es and
  pt with a token of its own, `QQSUMPUBESQQ` for the Spanish of `ZZSUMPUBZZ`, then confirmed with the
  `confirm` command) is built in both editions; every document of every product and audience exists in
  both, and is read back: no token above the audience's clearance in any part of any file, the edition's
  tokens where the view shows text, no English label, dates in the edition's language, `/Lang`, `w:lang`
  and HTML `lang`. The index pages link each document's other editions; `changes` writes each
  audience's change memo in every edition, read back the same way.
- A partly translated copy: the analyst edition shows the source text marked (missing, out of date), the
  executive and public editions of that instrument are withheld, `check --strict` fails on the public
  ones at their lines, and a stale translation is reported at its line.
- `translations` lists what an edition lacks (for one audience, nothing above its clearance); `confirm`
  writes only the hashes, keeps the rest of the file, and refuses what it cannot do without writing.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.pofile import read_po

from atalaya.edition import source_hash, translatables
from atalaya.i18n import catalogue
from atalaya.load import load_file
from atalaya.model import level_rank, load_corpus
from atalaya.plan import all_targets
from conftest import CONTENT, FIXTURES, ROOT, run_cli

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDFs back")

CANARY = FIXTURES / "canary"
LOCALE = ROOT / "locale"
EDITIONS = ("es", "pt")
TOKEN = re.compile(r"(?:ZZ|QQ)[A-Z]{3}(PUB|INT|RES)(?:ES|PT)?(?:ZZ|QQ)")
LEVEL = {"PUB": "public", "INT": "internal", "RES": "restricted"}
DATES = {"es": "1 de noviembre de 2026", "pt": "1 de novembro de 2026"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


# === the trees ==========================================================================================


def translated(text: str, language: str) -> str:
    """The test translation of a text: each canary word becomes the edition's own (`ZZSUMPUBZZ` ->
    `QQSUMPUBESQQ`), the rest a word of the language."""
    suffix = language.upper()
    words = re.findall(r"ZZ([A-Z]{3})(PUB|INT|RES)ZZ", text)
    tokens = " ".join(f"QQ{kind}{level}{suffix}QQ" for kind, level in words)
    word = {"es": "texto traducido", "pt": "texto traduzido"}[language]
    return f"{tokens} {word}." if tokens else f"{word.capitalize()}: {len(text)}."


def _set(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def _get(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def translated_tree(target: Path) -> Path:
    """A copy of the canary tree with everything translated into es and pt, confirmed with `confirm`."""
    shutil.copytree(CANARY, target)
    office = yaml.safe_load((target / "office.yaml").read_text(encoding="utf-8"))
    office["languages"] = ["en", *EDITIONS]
    office["translations"] = {
        language: {"name": f"{language} Oficina", "publisher": f"{language} Ministerio"}
        for language in EDITIONS
    }
    (target / "office.yaml").write_text(yaml.safe_dump(office, allow_unicode=True, sort_keys=False), "utf-8")
    audiences = load_file(target / "audiences.yaml").data
    for name, audience in audiences.items():
        audience["untranslated"] = "mark" if name in ("analyst", "staff") else "withhold"
        audience["translations"] = {
            language: {
                field: f"{language} {audience[field]}" for field in ("title", "description", "marking")
            }
            | {"memo_for": f"{language} destinatario"}
            for language in EDITIONS
        }
    (target / "audiences.yaml").write_text(
        yaml.safe_dump(audiences, allow_unicode=True, sort_keys=False), "utf-8"
    )
    corpus = load_corpus(target)
    for path in sorted((target / "instruments").glob("*.yaml")):
        data = load_file(path).data
        if isinstance(data.get("summary"), str | dict):
            data["summary"] = [data["summary"]]
        for text in translatables(corpus.instruments[path.stem]):
            versions = {language: translated(text.source, language) for language in EDITIONS}
            if text.own_key == "":  # names, acronyms: the mapping itself
                _set(data, text.path, versions)
                continue
            item = _get(data, text.path)
            if isinstance(item, str):
                _set(data, text.path, {"text": item, "translations": versions})
            else:
                item["translations"] = versions
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    files = [
        target / "office.yaml",
        target / "audiences.yaml",
        *sorted((target / "instruments").glob("*.yaml")),
    ]
    done = run_cli("confirm", "--content", target, "--language", "es", "--language", "pt", *files)
    assert done.code == 0, done.stderr
    return target


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return translated_tree(tmp_path_factory.mktemp("editions") / "content")


@pytest.fixture(scope="module")
def built(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("editions-output") / "output"
    done = run_cli(
        "build",
        "--content",
        tree,
        "--output",
        output,
        "-j",
        "2",
        "--html",
    )
    assert done.code == 0, done.stderr
    return output


# === reading documents back ==============================================================================


def pdf_parts(path: Path) -> dict[str, str]:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    outline: list[str] = []

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                outline.append(item.title)

    walk(reader.outline)
    metadata = " ".join(str(v) for v in (reader.metadata or {}).values())
    return {"text": text, "outline": " ".join(outline), "metadata": metadata}


def docx_parts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name).decode("utf-8", "replace") for name in package.namelist()}


def docx_text(path: Path) -> str:
    from docx import Document

    document = Document(str(path))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines.extend(cell.text for row in table.rows for cell in row.cells)
    for section in document.sections:
        lines.extend(p.text for p in section.header.paragraphs)
    return "\n".join(lines)


def squeeze(text: str) -> str:
    return "".join(re.sub(r"[-\u00ad\u2010]\s*\n", "", text).split())


def documents(output: Path, language: str) -> Iterator[tuple[str, Path]]:
    for path in sorted(output.rglob(f"*.{language}.*")):
        if path.suffix in (".pdf", ".docx", ".html"):
            yield path.relative_to(output).parts[0], path


# === every product in every edition ======================================================================


def test_every_document_of_the_source_edition_exists_in_every_other(tree: Path, built: Path) -> None:
    corpus = load_corpus(tree)
    targets = all_targets(corpus)
    source = {(t.product.name, t.subject, t.audience, t.format.name) for t in targets if t.edition == "en"}
    assert {t.product.name for t in targets} == {"brief", "book", "countries"}
    for language in EDITIONS:
        edition = {
            (t.product.name, t.subject, t.audience, t.format.name) for t in targets if t.edition == language
        }
        assert edition == source, language
        for target in targets:
            if target.edition == language:
                assert (built / target.path).is_file(), target.path
                assert re.search(rf"\.{language}\.(pdf|docx)$", target.path)


@pytest.mark.parametrize("language", EDITIONS)
def test_no_token_above_the_clearance_in_any_part_of_any_edition_document(
    tree: Path, built: Path, language: str
) -> None:
    corpus = load_corpus(tree)
    checked = 0
    for audience, path in documents(built, language):
        clearance = corpus.audiences[audience].clearance
        if path.suffix == ".pdf":
            parts = pdf_parts(path)
        elif path.suffix == ".docx":
            parts = docx_parts(path)
        else:
            parts = {"html": path.read_text(encoding="utf-8")}
        for where, content in parts.items():
            for token in TOKEN.finditer(squeeze(content) if where == "text" else content):
                level = LEVEL[token.group(1)]
                assert level_rank(level) <= level_rank(clearance), f"{token.group(0)} in {where} of {path}"
        checked += 1
    assert checked > 40


@pytest.mark.parametrize("language", EDITIONS)
def test_every_text_a_view_shows_is_the_editions_translation(tree: Path, built: Path, language: str) -> None:
    """Fully translated: the edition shows its own tokens, never the source's, in every brief."""
    suffix = language.upper()
    for audience in ("executive", "analyst", "staff", "public"):
        path = built / audience / f"canary-mixed.{language}.pdf"
        if not path.exists():
            continue
        text = squeeze(pdf_parts(path)["text"])
        assert re.search(rf"QQSUMPUB{suffix}QQ", text), (audience, language)
        assert not re.search(r"ZZ[A-Z]{3}(PUB|INT|RES)ZZ", text), (audience, language)
        assert not re.search(rf"QQ[A-Z]{{3}}(PUB|INT|RES)(?!{suffix})[A-Z]{{2}}QQ", text), (
            "another edition's text"
        )


def english_labels(language: str) -> list[str]:
    """The catalogue's labels of more than one word that the edition translates: none may be left in it."""
    words = catalogue(language)
    with (LOCALE / "atalaya.pot").open("rb") as handle:
        template = read_po(handle)
    return [
        message.id
        for message in template
        if isinstance(message.id, str)
        and len(message.id) >= 6
        and "%" not in message.id
        and " " in message.id
        and words.gettext(message.id) != message.id
    ]


def english_left(text: str, labels: list[str]) -> list[str]:
    return [label for label in labels if re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text)]


@pytest.mark.parametrize("language", EDITIONS)
def test_no_english_label_and_dates_in_the_editions_language(built: Path, language: str) -> None:
    english = english_labels(language)
    assert english, "the catalogue has labels to look for"
    for audience in ("analyst", "public"):
        for name in (f"canary-mixed.{language}.pdf", f"book.{language}.pdf", f"countries/AR.{language}.pdf"):
            text = " ".join(pdf_parts(built / audience / name)["text"].split())
            assert not english_left(text, english), (name, english_left(text, english)[:5])
            assert DATES[language] in text, name
        memo = " ".join(docx_text(built / audience / f"canary-mixed.{language}.docx").split())
        assert not english_left(memo, english), english_left(memo, english)[:5]
        assert DATES[language] in memo


@pytest.mark.parametrize("language", EDITIONS)
def test_document_language_follows_the_edition(built: Path, language: str) -> None:
    pdf = pypdf.PdfReader(str(built / "public" / f"canary-mixed.{language}.pdf"))
    assert str(pdf.trailer["/Root"]["/Lang"]) == language
    styles = docx_parts(built / "public" / f"canary-mixed.{language}.docx")["word/styles.xml"]
    assert f'w:val="{language}"' in styles
    html = (built / "public" / f"canary-mixed.{language}.html").read_text(encoding="utf-8")
    assert re.search(rf'<html[^>]* lang="{language}"', html)
    assert f"{language} Oficina" in pdf_parts(built / "public" / f"canary-mixed.{language}.pdf")["metadata"]


def test_index_pages_link_each_document_in_its_other_editions(tree: Path, built: Path) -> None:
    """Each index row links the source edition's document, then the same document in es and pt; the top
    page, which shows only public documents, links only public documents in every edition."""
    corpus = load_corpus(tree)
    for audience in corpus.audiences:
        page = (built / audience / "index.html").read_text(encoding="utf-8")
        links = re.findall(r'<a class="edition" href="([^"]+)" hreflang="(\w+)"', page)
        assert links, audience
        for href, language in links:
            assert href.endswith((f".{language}.pdf", f".{language}.docx")), href
            assert (built / audience / href).is_file(), href
        for href in re.findall(r'<a href="([^"]+\.(?:pdf|docx))">', page):
            for language in EDITIONS:
                translation = re.sub(r"\.(pdf|docx)$", rf".{language}.\1", href)
                assert f'href="{translation}" hreflang="{language}"' in page, translation
        assert '<span lang="es">Español</span>' in page and '<span lang="pt">Português</span>' in page
    top = (built / "index.html").read_text(encoding="utf-8")
    public = {name for name, a in corpus.audiences.items() if a.clearance == "public"}
    hrefs = re.findall(r'<a class="edition" href="([^"]+)"', top)
    assert hrefs and {href.split("/")[0] for href in hrefs} <= public


def test_change_memos_are_built_in_every_edition(tree: Path, tmp_path: Path) -> None:
    """`changes` against an earlier edition without canary-mixed's public activity and its internal and
    restricted objectives: each audience's change memo in es and pt shows what it may see inserted, in the
    edition's words and as tracked changes, nothing above its clearance and no English label."""
    previous = tmp_path / "previous"
    shutil.copytree(tree, previous)
    path = previous / "instruments" / "canary-mixed.yaml"
    data = load_file(path).data
    data["objectives"] = [data["objectives"][0], *data["objectives"][3:]]
    data["activities"] = data["activities"][1:]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    output = tmp_path / "output"
    done = run_cli(
        "changes", "--previous-content", previous, "--content", tree, "--output", output, "-j", "2"
    )
    assert done.code == 0, done.stderr
    corpus = load_corpus(tree)
    labels = {"es": "Insertado", "pt": "Inserido"}
    checked = 0
    for language in EDITIONS:
        english = english_labels(language)
        suffix = language.upper()
        for audience, settings in corpus.audiences.items():
            pdf, docx = (
                output / audience / "changes" / f"canary-mixed.{language}.{s}" for s in ("pdf", "docx")
            )
            if "activities" not in settings.sections:
                assert not pdf.exists() or "objectives" in settings.sections
                continue
            words = " ".join(pdf_parts(pdf)["text"].split())
            assert not english_left(words, english), (pdf, english_left(words, english))
            assert not english_left(" ".join(docx_text(docx).split()), english), docx
            text = squeeze(words)
            memo = docx_parts(docx)
            for where, content in (("pdf", text), *memo.items()):
                for token in TOKEN.finditer(content):
                    level = LEVEL[token.group(1)]
                    assert level_rank(level) <= level_rank(settings.clearance), (token.group(0), where, pdf)
            assert f"QQACTPUB{suffix}QQ" in text and "ZZACTPUBZZ" not in text, pdf
            if level_rank(settings.clearance) >= level_rank("internal") and "objectives" in settings.sections:
                assert f"QQOBJINT{suffix}QQ" in text, pdf
            assert labels[language].upper() in text.upper(), pdf
            document = memo["word/document.xml"]
            assert "<w:ins " in document and f"QQACTPUB{suffix}QQ" in document, docx
            assert f'w:val="{language}"' in memo["word/styles.xml"]
            checked += 1
    assert checked >= 4


# === missing and stale translations ======================================================================


@pytest.fixture(scope="module")
def partial(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The translated tree, but the Spanish of canary-mixed's public summary line is gone and the English of
    its public objective was edited after its translations were confirmed."""
    target = tmp_path_factory.mktemp("partial") / "content"
    shutil.copytree(tree, target)
    path = target / "instruments" / "canary-mixed.yaml"
    data = load_file(path).data
    del data["summary"][0]["translations"]["es"]
    data["objectives"][0]["text"] = "ZZOBJPUBZZ objective, reworded."
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def test_the_analyst_edition_marks_each_text_shown_in_the_source_language(
    partial: Path, tmp_path: Path
) -> None:
    output = tmp_path / "output"
    done = run_cli(
        "build", "--content", partial, "--output", output, "--instrument", "canary-mixed", "--product", "brief",
        "--language", "es", "--html",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    words = catalogue("es")
    missing, stale = f"[{words.gettext('not translated')}]", f"[{words.gettext('translation out of date')}]"
    text = " ".join(pdf_parts(output / "analyst" / "canary-mixed.es.pdf")["text"].split())
    assert re.search(rf"ZZSUMPUBZZ summary line\. ?{re.escape(missing)}", text)
    assert re.search(rf"ZZOBJPUBZZ objective, reworded\. ?{re.escape(stale)}", text)
    assert "QQSUMINTESQQ" in text  # the rest stays translated
    assert text.count(missing) == 1 and text.count(stale) == 1
    memo = " ".join(docx_text(output / "analyst" / "canary-mixed.es.docx").split())
    assert missing in memo and stale in memo
    html = (output / "analyst" / "canary-mixed.es.html").read_text(encoding="utf-8")
    assert re.search(r'<span lang="en" class="untranslated">ZZSUMPUBZZ summary line\.</span>', html)
    # Executive and public editions show only current translations: canary-mixed's are withheld.
    for audience in ("executive", "public"):
        assert not (output / audience / "canary-mixed.es.pdf").exists()
    assert "withheld 2 until translated" in done.stderr
    assert "executive/canary-mixed.es" in done.stderr and "public/canary-mixed.es" in done.stderr
    # Portuguese: the summary is translated, the objective stale; the executive edition does not show
    # objectives, so it is built; the public one is withheld.
    listed = run_cli("list", "--content", partial, "--instrument", "canary-mixed", "--product", "brief")
    assert "executive/canary-mixed.pt.pdf" in listed.stdout
    assert "public/canary-mixed.pt.pdf" not in listed.stdout
    assert "executive/canary-mixed.es.pdf" not in listed.stdout


def test_a_withheld_document_built_before_is_removed(tree: Path, partial: Path, tmp_path: Path) -> None:
    output = tmp_path / "output"
    args = ("--instrument", "canary-mixed", "--product", "brief", "--audience", "public", "--language", "es")
    assert run_cli("build", "--content", tree, "--output", output, *args).code == 0
    assert (output / "public" / "canary-mixed.es.pdf").is_file()
    done = run_cli("build", "--content", partial, "--output", output, *args)
    assert done.code == 0, done.stderr
    assert not (output / "public" / "canary-mixed.es.pdf").exists()
    assert "removed" in done.stderr


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if needle in line)


def test_check_reports_a_stale_translation_at_its_line_and_strict_fails_for_public(partial: Path) -> None:
    path = partial / "instruments" / "canary-mixed.yaml"
    done = run_cli("check", "--content", partial)
    assert done.code == 0, done.stderr
    lines = path.read_text(encoding="utf-8").splitlines()
    objective = next(n for n, line in enumerate(lines, 1) if "reworded" in line)
    stale_lines = [
        int(m.group(1))
        for m in re.finditer(r"canary-mixed\.yaml:(\d+):\d+: warning: text has a stale es", done.stderr)
    ]
    assert stale_lines and all(objective < n <= objective + 8 for n in stale_lines)
    assert re.search(r"translations es: executive \d+% .*public \d+%", done.stderr)
    strict = run_cli("check", "--content", partial, "--strict")
    assert strict.code == 1
    assert re.search(
        r"canary-mixed\.yaml:\d+:\d+: text has no es translation \(shown to .*public", strict.stderr
    )
    assert re.search(r"canary-mixed\.yaml:\d+:\d+: text has a stale pt translation", strict.stderr)


def test_a_complete_tree_passes_check_strict_with_full_coverage(tree: Path) -> None:
    done = run_cli("check", "--content", tree, "--strict")
    assert done.code == 0, done.stderr
    for language in EDITIONS:
        assert re.search(rf"translations {language}: executive 100% .* public 100% ", done.stderr)


# === the translators' commands ===========================================================================


def test_translations_for_one_audience_lists_nothing_above_its_clearance(partial: Path) -> None:
    # The partial tree lacks one Spanish text and has one stale objective, both public.
    done = run_cli("translations", "--content", partial, "--language", "es", "--audience", "public", "--json")
    assert done.code == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {row["state"] for row in rows} == {"missing", "stale"}
    assert all(row["audiences"] == ["public"] for row in rows)
    for row in rows:
        for token in TOKEN.finditer(row["source"]):
            assert token.group(1) == "PUB", row
    everything = run_cli("translations", "--content", partial, "--language", "es", "--json")
    assert {row["state"] for row in json.loads(everything.stdout)} == {"missing", "stale"}


def test_confirm_writes_only_the_hashes_and_keeps_the_rest_of_the_file(good_tree: Path) -> None:
    office = good_tree / "office.yaml"
    office.write_text(office.read_text(encoding="utf-8") + "languages: [en, es]\n", encoding="utf-8")
    path = good_tree / "instruments" / "alpha-pact.yaml"
    before = path.read_text(encoding="utf-8")
    edited = before.replace(
        "  - Consult within 48 hours of a border incident.\n",
        "  # a comment the command must keep\n"
        "  - text: Consult within 48 hours of a border incident.\n"
        "    translations:\n"
        "      es: >-\n"
        "        Consultar en un plazo de 48 horas\n"
        "        tras un incidente fronterizo.\n",
    ).replace("names: {es: Pacto Alfa, pt: Pacto Alfa}", "names: {es: Pacto Alfa, pt: {text: Pacto Alfa}}")
    assert edited != before
    path.write_text(edited, encoding="utf-8")
    done = run_cli("confirm", "--content", good_tree, "--language", "es", path)
    assert done.code == 0, done.stderr
    after = path.read_text(encoding="utf-8")
    digest = source_hash("Consult within 48 hours of a border incident.")
    expected = edited.replace(
        "      es: >-\n        Consultar en un plazo de 48 horas\n        tras un incidente fronterizo.\n",
        f"      es:\n        text: >-\n          Consultar en un plazo de 48 horas\n          tras un incidente fronterizo.\n"
        f"        of: '{digest}'\n",
    ).replace(
        "names: {es: Pacto Alfa,", f"names: {{es: {{text: Pacto Alfa, of: '{source_hash('Alpha Pact')}'}},"
    )
    assert after == expected
    corpus = load_corpus(good_tree)
    assert corpus.instruments["alpha-pact"].objectives[0].translations["es"].of == digest
    assert "es confirmed" in done.stderr
    # The Portuguese name was not asked for: it stays unconfirmed.
    assert corpus.instruments["alpha-pact"].names["pt"].of is None  # type: ignore[index]


def test_confirm_takes_the_line_the_worklist_prints(partial: Path, tmp_path: Path) -> None:
    """A translator confirms a translation at the line `translations` printed for it (a translation written
    as a mapping prints the line of its `text`, one below its language key); the rest stays stale."""
    content = tmp_path / "content"
    shutil.copytree(partial, content)
    listed = run_cli("translations", "--content", content, "--language", "pt", "--instrument", "canary-mixed")
    assert listed.code == 0, listed.stderr
    stale = re.findall(r"^(\S+):(\d+):\d+: pt stale: ", listed.stdout, flags=re.MULTILINE)
    assert stale, listed.stdout
    file, line = stale[0]
    path = content / "instruments" / "canary-mixed.yaml"
    assert path.read_text(encoding="utf-8").splitlines()[int(line) - 1].strip().startswith("text:")
    done = run_cli("confirm", "--content", content, "--language", "pt", f"{path}:{line}")
    assert done.code == 0, done.stderr
    again = run_cli("translations", "--content", content, "--language", "pt", "--instrument", "canary-mixed")
    assert (
        f"{file}:{line}:" not in again.stdout
        and len(again.stdout.splitlines()) == len(listed.stdout.splitlines()) - 1
    )


def test_confirm_refuses_without_writing(good_tree: Path, tmp_path: Path) -> None:
    office = good_tree / "office.yaml"
    office.write_text(office.read_text(encoding="utf-8") + "languages: [en, es]\n", encoding="utf-8")
    path = good_tree / "instruments" / "alpha-pact.yaml"
    before = path.read_bytes()
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("id: x\n", encoding="utf-8")
    cases = [
        (("--language", "es", outside), "not a file of the content folder"),
        (("--language", "fr", path), "unknown edition 'fr'"),
        (("--language", "es", f"{path}:2"), "no unconfirmed or stale translation starts on this line"),
    ]
    for args, message in cases:
        done = run_cli("confirm", "--content", good_tree, *args)
        assert done.code == 2, done.stderr
        assert message in done.stderr
        assert "Traceback" not in done.stderr
    assert path.read_bytes() == before
    assert outside.read_text(encoding="utf-8") == "id: x\n"


def test_an_edit_to_a_translation_rebuilds_only_that_edition(tree: Path, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(tree, content)
    output = tmp_path / "output"
    args = ("--content", content, "--output", output, "--instrument", "canary-public", "--product", "brief")
    assert run_cli("build", *args).code == 0
    path = content / "instruments" / "canary-public.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("QQSUMPUBESQQ texto traducido.", "QQSUMPUBESQQ texto revisado."), "utf-8")
    assert text != path.read_text(encoding="utf-8")
    # The translation changed after its confirmation: the hash is the source's, so it is still current.
    done = run_cli("build", *args)
    assert done.code == 0, done.stderr
    rebuilt = re.findall(r"\] (\S+) \(", done.stderr)
    assert rebuilt and all(".es." in name for name in rebuilt), rebuilt
    assert len(rebuilt) == 8  # four audiences, two formats


# === the shipped content =================================================================================


def test_shipped_editions_cover_every_product_and_audience() -> None:
    corpus = load_corpus(CONTENT)
    assert corpus.office.editions == ("en", "es", "pt")
    targets = all_targets(corpus)
    source = {(t.product.name, t.subject, t.audience, t.format.name) for t in targets if t.edition == "en"}
    for language in EDITIONS:
        edition = {
            (t.product.name, t.subject, t.audience, t.format.name) for t in targets if t.edition == language
        }
        assert edition == source


def test_shipped_public_and_executive_editions_are_complete() -> None:
    done = run_cli("check", "--strict", "--content", CONTENT)
    assert done.code == 0, done.stderr
    for language in EDITIONS:
        assert re.search(rf"translations {language}: executive 100% .*; public 100% ", done.stderr), (
            done.stderr
        )


def test_the_longest_shipped_public_brief_fits_its_budget_in_every_edition(tmp_path: Path) -> None:
    """The Rio Treaty's public brief, the longest, needs the tightest setting in Spanish and Portuguese (their
    text runs longer than the English) and stays within the public budget in every edition."""
    output = tmp_path / "output"
    args = ("--instrument", "rio-treaty", "--audience", "public", "--format", "pdf", "--html")
    done = run_cli("build", *args, "--output", output, "-j", "2")
    assert done.code == 0, done.stderr
    budget = load_corpus(CONTENT).audiences["public"].page_budget
    titles = {"en": "Inter-American Treaty", "es": "Tratado Interamericano", "pt": "Tratado Interamericano"}
    for language, title in titles.items():
        suffix = "" if language == "en" else f".{language}"
        reader = pypdf.PdfReader(output / "public" / f"rio-treaty{suffix}.pdf")
        assert len(reader.pages) <= budget, language
        assert title in reader.pages[0].extract_text()
        html = (output / "public" / f"rio-treaty{suffix}.html").read_text(encoding="utf-8")
        assert f'<html lang="{language}"' in html
