"""Input safety: what is not a plain content file, text that would reorder a document, and error
locations that must name the real file.

- Content entries that are not regular files (a named pipe, a link to a device, a link loop, a dangling
  link, a directory) fail with a located error and exit 1, quickly: never a hang, an endless read or a
  traceback. Every command-line run here has a short timeout (and `check` a memory ceiling), so a hang or
  a runaway read fails the test instead of stalling the suite.
- `*.YAML` and `*.Yml` instrument files are reported like `*.yml`, not skipped without a word.
- Bidirectional controls must be balanced within each text value.
- GitHub annotations escape the file name and the message, so neither can forge a workflow command.
- Template errors name the template file (the included partial's own) relative to the working
  directory, from `check --templates` and from a build alike.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from atalaya.errors import Diagnostic, Severity, TemplateError
from atalaya.load import MAX_FILE_BYTES
from atalaya.render import TemplateSet
from conftest import GOOD, ROOT, TEMPLATES, Run

ALPHA = "instruments/alpha-pact.yaml"
TIMEOUT = 60  # seconds; a `check` of the fixture tree takes about one
MEMORY_CEILING = 2 << 30  # bytes of address space for `check` runs: an endless read fails, not the machine


def run(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None, cap: bool = False) -> Run:
    """`run_cli` with a short timeout (and, with `cap`, a memory ceiling): a hang fails the test."""
    environment = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR")}
    environment.update(env or {})

    def ceiling() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))

    try:
        done = subprocess.run(
            [sys.executable, str(ROOT / "build.py"), *map(str, args)],
            cwd=cwd,
            capture_output=True,
            text=True,
            env=environment,
            timeout=TIMEOUT,
            check=False,
            preexec_fn=ceiling if cap else None,  # one thread here: preexec_fn is safe
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"build.py {' '.join(map(str, args))} did not finish in {TIMEOUT} s (a hang)")
    return Run(done.returncode, done.stdout, done.stderr)


def check(content: Path, *more: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Run:
    return run("check", "--content", content, *more, cwd=cwd, env=env, cap=True)


def assert_fails_with(result: Run, expected: list[str]) -> None:
    """Exit 1, no traceback, and exactly these diagnostics (in order) before the closing count."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert lines[:-1] == expected, lines
    assert lines[-1].endswith(f"{len(expected)} error{'s' if len(expected) != 1 else ''}"), lines[-1]


# --- 1. entries that are not regular files -------------------------------------------------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _to_dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _dangling(path: Path) -> None:
    path.symlink_to("nowhere/gone.yaml")


def _directory(path: Path) -> None:
    path.mkdir()
    (path / "inside.yaml").write_text("id: inside\n", encoding="utf-8")


NOT_FILES = {
    "fifo": (_fifo, "is a named pipe (FIFO), not a regular file"),
    "dev-zero": (_to_dev_zero, "is a character device (through a symbolic link), not a regular file"),
    "dangling": (_dangling, "symbolic link to a missing file (nowhere/gone.yaml)"),
    "directory": (_directory, "is a directory, not a regular file"),
}


@pytest.mark.parametrize("kind", list(NOT_FILES))
def test_an_instrument_entry_that_is_not_a_regular_file_is_a_located_error(
    kind: str, good_tree: Path
) -> None:
    make, message = NOT_FILES[kind]
    entry = good_tree / "instruments" / "x.yaml"
    make(entry)
    result = check(good_tree)
    assert_fails_with(result, [f"{entry}:0:0: {message}"])


def test_a_symlink_loop_is_a_located_error_for_each_link(good_tree: Path) -> None:
    first, second = good_tree / "instruments" / "a.yaml", good_tree / "instruments" / "b.yaml"
    first.symlink_to("b.yaml")
    second.symlink_to("a.yaml")
    result = check(good_tree)
    loop = "symbolic link loop (too many levels of symbolic links)"
    assert_fails_with(result, [f"{first}:0:0: {loop}", f"{second}:0:0: {loop}"])


@pytest.mark.parametrize("name", ["office.yaml", "audiences.yaml", "countries.yaml"])
@pytest.mark.parametrize("kind", list(NOT_FILES))
def test_a_shared_file_that_is_not_a_regular_file_is_a_located_error(
    name: str, kind: str, good_tree: Path
) -> None:
    make, message = NOT_FILES[kind]
    entry = good_tree / name
    entry.unlink()
    make(entry)
    result = check(good_tree)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.code == 1, result.stderr
    # without countries, every member's country is unknown too: only the first line is this test's
    assert f"{entry}:0:0: {message}" in result.stderr.splitlines()


def test_a_symlinked_regular_file_is_still_read(good_tree: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "kept-elsewhere.yaml"
    shutil.move(good_tree / ALPHA, elsewhere)
    (good_tree / ALPHA).symlink_to(elsewhere)
    result = check(good_tree)
    assert result.code == 0, result.stderr


def test_a_file_over_the_cap_is_refused_before_reading(good_tree: Path) -> None:
    big = good_tree / "instruments" / "big.yaml"
    with big.open("wb") as handle:  # sparse: the size is there, the bytes are not
        handle.truncate(64 * MAX_FILE_BYTES)
    result = check(good_tree)
    assert_fails_with(
        result, [f"{big}:1:1: file is {64 * MAX_FILE_BYTES:,} bytes; the limit is {MAX_FILE_BYTES:,}"]
    )


# --- 2. extensions in other cases ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gamma.YAML", "gamma.Yml", "gamma.YML", "gamma.Yaml", "gamma.yml"])
def test_yaml_extensions_in_any_case_are_reported_like_yml(name: str, good_tree: Path) -> None:
    stray = good_tree / "instruments" / name
    stray.write_text("id: gamma\n", encoding="utf-8")
    result = check(good_tree)
    assert_fails_with(result, [f"{stray}:1:1: instrument files must end in .yaml"])


# --- 3. bidirectional controls --------------------------------------------------------------------------

RLO, LRE, PDF, RLI, FSI, PDI = "\u202e", "\u202a", "\u202c", "\u2067", "\u2068", "\u2069"


def _name_alpha(good_tree: Path, name: str) -> None:
    path = good_tree / ALPHA
    text = path.read_text(encoding="utf-8")
    assert "\nname: Alpha Pact\n" in text
    path.write_text(text.replace("\nname: Alpha Pact\n", f"\nname: {name}\n"), encoding="utf-8")


@pytest.mark.parametrize(
    "name",
    [
        f"Alpha {RLO}tcaP{PDF} Pact",
        f"Alpha {RLI}Pact{PDI}",
        f"{FSI}Alpha {LRE}Pa{PDF}ct{PDI}",
        f"{RLI}Alpha {LRE}Pact{PDI}",  # a PDI closes the embeddings inside its isolate too
        f"Alpha Pact {RLO}{PDF}",
    ],
    ids=["override", "isolate", "nested", "closed-by-isolate", "empty-pair"],
)
def test_balanced_bidirectional_controls_inside_one_value_are_accepted(name: str, good_tree: Path) -> None:
    _name_alpha(good_tree, name)
    result = check(good_tree)
    assert result.code == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            f"Alpha {RLO}Pact",
            "bidirectional control U+202E (right-to-left override) at character 7 is not closed; "
            "end it with U+202C (pop directional formatting) in the same text",
        ),
        (
            f"Alpha {RLI}Pact",
            "bidirectional control U+2067 (right-to-left isolate) at character 7 is not closed; "
            "end it with U+2069 (pop directional isolate) in the same text",
        ),
        (
            f"Alpha{PDF} Pact",
            "bidirectional control U+202C (pop directional formatting) at character 6 closes nothing",
        ),
        (
            f"Alpha{PDI} Pact",
            "bidirectional control U+2069 (pop directional isolate) at character 6 closes nothing",
        ),
        (
            f"{RLI}Alpha{PDF} Pact{PDI}",  # a PDF cannot close an isolate
            "bidirectional control U+202C (pop directional formatting) at character 7 closes nothing",
        ),
        (
            f"{RLO}Alpha {RLI}Pact{PDF}",
            "bidirectional control U+202C (pop directional formatting) at character 13 closes nothing",
        ),
    ],
    ids=["open-override", "open-isolate", "stray-pdf", "stray-pdi", "pdf-in-isolate", "crossed"],
)
def test_unbalanced_bidirectional_controls_are_a_located_error(
    name: str, message: str, good_tree: Path
) -> None:
    _name_alpha(good_tree, name)
    result = check(good_tree)
    assert_fails_with(result, [f"{good_tree / ALPHA}:2:7: name: {message}"])
    assert RLO not in result.stderr and PDF not in result.stderr and RLI not in result.stderr


def test_each_text_value_must_balance_on_its_own(good_tree: Path) -> None:
    """An override opened in one value and closed in the next still reorders everything between them."""
    path = good_tree / ALPHA
    text = path.read_text(encoding="utf-8")
    old = "names: {es: Pacto Alfa, pt: Pacto Alfa}"
    assert old in text
    path.write_text(
        text.replace(old, f"names: {{es: Pacto {RLO}Alfa, pt: Pacto{PDF} Alfa}}"), encoding="utf-8"
    )
    result = check(good_tree)
    assert_fails_with(
        result,
        [
            f"{path}:3:13: names.es.text: bidirectional control U+202E (right-to-left override) at character 7 "
            "is not closed; end it with U+202C (pop directional formatting) in the same text",
            f"{path}:3:30: names.pt.text: bidirectional control U+202C (pop directional formatting) at character 6 "
            "closes nothing",
        ],
    )


def test_bidirectional_controls_are_checked_in_shared_files_and_escapes_too(good_tree: Path) -> None:
    path = good_tree / "audiences.yaml"
    text = path.read_text(encoding="utf-8")
    old = "  title: Executive\n"
    assert old in text
    path.write_text(text.replace(old, '  title: "Exec\\u202Eutive"\n'), encoding="utf-8")
    result = check(good_tree)
    assert_fails_with(
        result,
        [
            f"{path}:2:10: executive.title: bidirectional control U+202E (right-to-left override) at "
            "character 5 is not closed; end it with U+202C (pop directional formatting) in the same text"
        ],
    )


# --- 4. GitHub annotations --------------------------------------------------------------------------------


def test_github_annotation_escapes_the_file_name_and_the_message() -> None:
    hostile = Diagnostic(
        "instruments/a,line=99::x%0A\r\n::error file=forged.yaml.yaml", 3, 4, "bad %25\r\n::error::forged"
    )
    assert hostile.github_annotation() == (
        "::error file=instruments/a%2Cline=99%3A%3Ax%250A%0D%0A%3A%3Aerror file=forged.yaml.yaml,line=3,col=4"
        "::bad %2525%0D%0A::error::forged"
    )
    plain = Diagnostic("", 0, 0, "100% done\n", Severity.WARNING)
    assert plain.github_annotation() == "::warning::100%25 done%0A"
    ordinary = Diagnostic("content/instruments/alpha-pact.yaml", 2, 7, "name: bad")
    assert (
        ordinary.github_annotation()
        == "::error file=content/instruments/alpha-pact.yaml,line=2,col=7::name: bad"
    )


def test_github_annotations_from_the_cli_escape_a_hostile_file_name(good_tree: Path) -> None:
    stray = good_tree / "instruments" / "x,line=1,col=1::forged%.yml"
    stray.write_text("id: x\n", encoding="utf-8")
    result = check(good_tree, cwd=good_tree.parent, env={"GITHUB_ACTIONS": "true"})
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr
    annotations = [line for line in result.stderr.splitlines() if line.startswith("::")]
    assert annotations == [
        "::error file=content/instruments/x%2Cline=1%2Ccol=1%3A%3Aforged%25.yml,line=1,col=1"
        "::instrument files must end in .yaml"
    ]


# --- 5. template errors name the real file ------------------------------------------------------------------


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A working folder holding a writable copy of the templates as `templates/` (without the index page,
    which is not what these tests are about) and the good content as `content/`."""
    folder = tmp_path / "work"
    shutil.copytree(TEMPLATES, folder / "templates")
    (folder / "templates" / "index.html.j2").unlink(missing_ok=True)
    shutil.copytree(GOOD, folder / "content")
    return folder


def _append(path: Path, text: str) -> int:
    """Append a line to a template; the line number it landed on."""
    body = path.read_text(encoding="utf-8")
    if not body.endswith("\n"):
        body += "\n"
    path.write_text(body + text + "\n", encoding="utf-8")
    return body.count("\n") + 1


def _build(work: Path, cwd: Path, templates: str | Path, fmt: str = "pdf") -> Run:
    return run(
        "build",
        "--content",
        work / "content",
        "--templates",
        templates,
        "--output",
        work / "output",
        "--instrument",
        "alpha-pact",
        "--audience",
        "public",
        "--format",
        fmt,
        "-j",
        "1",
        cwd=cwd,
    )


def _template_error(result: Run, expected: str) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.code == 1, result.stderr
    located = [line for line in result.stderr.splitlines() if line[:1] not in ("[", "") and ":" in line]
    assert any(line.startswith(expected) for line in located), (expected, result.stderr)
    assert "templates/templates" not in result.stderr


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_check_templates_names_the_file_with_a_syntax_error(work: Path, relative: bool) -> None:
    line = _append(work / "templates" / "briefing" / "base.html.j2", "{% if %}")
    cwd = work if relative else ROOT  # the copy is outside the project: named as given
    templates = "templates" if relative else str(work / "templates")
    result = check(work / "content", "--templates", templates, cwd=cwd)
    shown = "templates/briefing/base.html.j2" if relative else f"{work}/templates/briefing/base.html.j2"
    _template_error(result, f"{shown}:{line}:1: ")


@pytest.mark.parametrize(
    ("injected", "message"),
    [
        ("{{ no_such_name }}", "'no_such_name' is undefined"),
        ("{{ view.no_such_field }}", "has no attribute 'no_such_field'"),
        (
            '{% include "partials/no-such-partial.html.j2" %}',
            "template 'partials/no-such-partial.html.j2' not found",
        ),
        ("{{ 1 // 0 }}", "ZeroDivisionError: integer division or modulo by zero"),
    ],
    ids=["undefined", "attribute", "missing-include", "exception"],
)
@pytest.mark.parametrize("where", ["inside", "outside"])
def test_a_runtime_error_in_an_included_partial_names_the_partial(
    work: Path, injected: str, message: str, where: str
) -> None:
    """Run from the folder holding `templates/` (a relative --templates) and from its parent."""
    line = _append(work / "templates" / "partials" / "summary.html.j2", injected)
    cwd = work if where == "inside" else work.parent
    templates = "templates" if where == "inside" else "work/templates"
    result = _build(work, cwd, templates)
    _template_error(result, f"{templates}/partials/summary.html.j2:{line}:1: ")
    assert message in result.stderr


def test_a_runtime_error_in_the_memo_template_names_it(work: Path) -> None:
    line = _append(work / "templates" / "memo" / "base.xml.j2", "{{ no_such_name }}")
    result = _build(work, work, "templates", fmt="docx")
    _template_error(result, f"templates/memo/base.xml.j2:{line}:1: 'no_such_name' is undefined")


def test_a_syntax_error_in_an_included_partial_at_render_time_names_the_partial(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check_templates` compiles every template first; rendering one that was not (added since) still
    names the partial, relative to the working directory, and its line."""
    monkeypatch.chdir(work)
    templates = TemplateSet(Path("templates"))
    (work / "templates" / "partials" / "late.html.j2").write_text("one\n{% for %}\n", encoding="utf-8")
    (work / "templates" / "page.html.j2").write_text(
        '{% include "partials/late.html.j2" %}\n', encoding="utf-8"
    )
    with pytest.raises(TemplateError) as raised:
        templates.render("page.html.j2", {})
    [diagnostic] = raised.value.diagnostics
    assert (diagnostic.path, diagnostic.line, diagnostic.col) == ("templates/partials/late.html.j2", 2, 1)


def test_a_bug_in_python_code_a_template_calls_keeps_its_traceback(work: Path) -> None:
    """Only what the templates cause becomes a template error; a failing filter is a bug, not hidden."""
    templates = TemplateSet(work / "templates")

    def broken(value: object) -> str:
        raise RuntimeError("bug in a filter")

    templates.env.filters["broken"] = broken
    (work / "templates" / "page.html.j2").write_text("{{ 1|broken }}\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="bug in a filter"):
        templates.render("page.html.j2", {})
