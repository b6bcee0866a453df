"""Loading and validating content: every bad input gets its exact `path:line:col: message`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from atalaya.errors import ContentError
from atalaya.load import MAX_DEPTH, MAX_FILE_BYTES, load_text
from atalaya.model import PartialDate, json_schemas, load_corpus
from conftest import FIXTURES, GOOD, ROOT, run_cli

ALPHA = "instruments/alpha-pact.yaml"


def errors_of(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_corpus(root, today=date(2026, 11, 20))
    return [d.format().replace(str(root) + "/", "") for d in caught.value.diagnostics]


def test_good_tree_loads_with_types_from_the_schema() -> None:
    corpus = load_corpus(GOOD, today=date(2026, 11, 20))
    assert sorted(corpus.instruments) == ["alpha-pact", "beta-forum"]
    alpha = corpus.instruments["alpha-pact"]
    assert alpha.established == PartialDate(1990, 5, 1)
    assert alpha.members[2].left == PartialDate(2001, 2)
    # `NO` is Norway, not false: scalars are typed by the schema, not by YAML 1.1 rules
    assert "NO" in corpus.countries
    assert alpha.partners[0].country == "NO"
    assert corpus.countries["NO"].oas_member is False
    assert corpus.warnings == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a: 1\nb: 2\na: 3\n", "f.yaml:3:1: duplicate key 'a' (first defined at line 1, column 1)"),
        (b"a: &x 1\nb: *x\n", "f.yaml:1:4: anchors (&name) are not allowed; write the value out"),
        (b"a: 1\nb: *x\n", "f.yaml:2:4: aliases (*name) are not allowed; write the value out"),
        (
            b"a: !!python/object:os.system 1\n",
            "f.yaml:1:4: tag tag:yaml.org,2002:python/object:os.system is not allowed",
        ),
        (b"a: !custom x\n", "f.yaml:1:4: tag !custom is not allowed"),
        (b"a: caf\xe9\n", "f.yaml:1:7: file is not valid UTF-8 (byte 0xe9)"),
        (b"a: b\x07c\n", "f.yaml:1:5: control character U+0007 is not allowed"),
        (b"", "f.yaml:1:1: file is empty"),
        (b"# only a comment\n\n", "f.yaml:1:1: file is empty"),
        (b"a: 1\n---\nb: 2\n", "f.yaml:2:1: only one YAML document per file (remove the second '---')"),
        (b"a: {x: 1}\nb:\n  <<: {y: 2}\n", "f.yaml:3:3: merge keys (<<) are not allowed"),
        (
            b"a: [1, 2\nb: 3\n",
            "f.yaml:2:2: while parsing a flow sequence (opened at line 1, column 4): did not find expected ',' or ']'",
        ),
        (
            b"a: " + b"[" * 40 + b"]" * 40 + b"\n",
            f"f.yaml:1:{3 + MAX_DEPTH}: nesting deeper than {MAX_DEPTH} levels",
        ),
        (
            b"a: 1\n" + b"#" * MAX_FILE_BYTES,
            f"f.yaml:1:1: file is {MAX_FILE_BYTES + 5:,} bytes; the limit is {MAX_FILE_BYTES:,}",
        ),
    ],
    ids=[
        "duplicate",
        "anchor",
        "alias",
        "python-tag",
        "custom-tag",
        "not-utf8",
        "control",
        "empty",
        "comment-only",
        "two-documents",
        "merge-key",
        "syntax",
        "deep",
        "oversize",
    ],
)
def test_unsafe_or_broken_yaml_is_refused_with_its_location(raw: bytes, expected: str) -> None:
    with pytest.raises(ContentError) as caught:
        load_text(raw, "f.yaml")
    assert [d.format() for d in caught.value.diagnostics] == [expected]


def test_alias_bomb_is_refused_before_expansion() -> None:
    bomb = b'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    bomb += b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n".encode()
        for i in range(8)
    )
    with pytest.raises(ContentError) as caught:
        load_text(bomb, "bomb.yaml")
    assert (
        caught.value.diagnostics[0].format()
        == "bomb.yaml:1:4: anchors (&name) are not allowed; write the value out"
    )


def test_yaml_11_surprises_stay_text() -> None:
    document = load_text(b"country: NO\ncode: 012\nwhen: 2024-01-01\nyes: on\nempty:\n", "f.yaml")
    assert document.data == {"country": "NO", "code": "012", "when": "2024-01-01", "yes": "on", "empty": None}
    assert document.value_marks[("code",)] == (2, 7)


MUTATIONS = [
    # (file, text to replace, replacement, expected diagnostic)
    (
        ALPHA,
        "kind: treaty",
        "kind: treety",
        "instruments/alpha-pact.yaml:5:7: kind: 'treety' is not one of 'treaty', 'organization', 'council', 'forum', "
        "'conference', 'board', 'programme', 'bilateral-agreement', 'convention', 'mission', 'engagement' or 'initiative'",
    ),
    (
        ALPHA,
        "acronym: AP",
        "acronym: AP\nobjectivs: [x]",
        "instruments/alpha-pact.yaml:5:1: unknown key 'objectivs'; did you mean 'objectives'?",
    ),
    (
        ALPHA,
        "  - {country: AR, joined: 1990-05-01}",
        "  - {country: AR, joined: 1990-05-01, rol: x}",
        "instruments/alpha-pact.yaml:15:39: unknown key 'rol' in members[0]; did you mean 'role'?",
    ),
    (
        ALPHA,
        "release: public",
        "release: secret",
        "instruments/alpha-pact.yaml:6:10: release: 'secret' is not one of 'public', 'internal' or 'restricted'",
    ),
    (
        ALPHA,
        "as_of: 2026-11-01",
        "as_of: 2026-02-30",
        "instruments/alpha-pact.yaml:41:8: as_of: '2026-02-30' is not a real calendar date",
    ),
    (
        ALPHA,
        "as_of: 2026-11-01",
        "as_of: 2026",
        "instruments/alpha-pact.yaml:41:8: as_of: '2026' is not a full date as YYYY-MM-DD",
    ),
    (
        ALPHA,
        "established: 1990-05-01",
        "established: 1990-13",
        "instruments/alpha-pact.yaml:8:14: established: '1990-13' has no month 13",
    ),
    (
        ALPHA,
        "objectives:\n",
        "objectives:\n  - [nested, list]\n",
        "instruments/alpha-pact.yaml:21:5: objectives[0]: Input should be a valid dictionary or instance of Prose",
    ),
    (
        ALPHA,
        "summary:\n",
        'summary:\n  - "bell \\a here"\n',
        "instruments/alpha-pact.yaml:11:5: summary[0].text: control character U+0007 at character 6 is not allowed",
    ),
    (
        ALPHA,
        "id: alpha-pact",
        "id: alpha-pakt",
        "instruments/alpha-pact.yaml:1:5: id 'alpha-pakt' differs from the file name 'alpha-pact.yaml'",
    ),
    (
        ALPHA,
        "{country: AR, joined: 1990-05-01}",
        "{country: XX, joined: 1990-05-01}",
        "instruments/alpha-pact.yaml:15:15: members[0].country: unknown country 'XX' (not in countries.yaml)",
    ),
    (
        ALPHA,
        "{country: AR, joined: 1990-05-01}",
        "{country: ar}",
        "instruments/alpha-pact.yaml:15:15: members[0].country: 'ar' is not an ISO 3166-1 alpha-2 code (two capital letters)",
    ),
    (
        ALPHA,
        "left: 2001-02",
        "left: 1989",
        "instruments/alpha-pact.yaml:17:45: members[2]: left 1989 is before joined 1990-05-01",
    ),
    (
        ALPHA,
        "related: [beta-forum]",
        "related: [beta-forun]",
        "instruments/alpha-pact.yaml:37:11: related[0]: unknown instrument 'beta-forun'; did you mean 'beta-forum'?",
    ),
    (
        ALPHA,
        "{date: 2001-02, text: Chile withdraws.}",
        "{date: 2027-02, text: Chile withdraws.}",
        "instruments/alpha-pact.yaml:36:12: timeline[1].date 2027-02 is after as_of 2026-11-01",
    ),
    (
        ALPHA,
        "cite: [treaty-text]}",
        "cite: [treaty-txt]}",
        "instruments/alpha-pact.yaml:35:62: cites unknown source 'treaty-txt'",
    ),
    (
        "countries.yaml",
        '"NO":',
        "no:",
        "countries.yaml:4:1: no: 'no' is not an ISO 3166-1 alpha-2 code (two capital letters)",
    ),
    (
        "audiences.yaml",
        "clearance: public",
        "clearance: internal",
        "audiences.yaml:30:14: the public audience's clearance must be 'public'",
    ),
    (
        "audiences.yaml",
        "page_budget: 1",
        "page_budget: one",
        "audiences.yaml:7:16: executive.page_budget: Input should be a valid integer, unable to parse string as an integer (got 'one')",
    ),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"), MUTATIONS, ids=[m[3].split(": ", 1)[1][:40] for m in MUTATIONS]
)
def test_each_bad_value_is_reported_at_its_line_and_column(
    good_tree: Path, name: str, old: str, new: str, expected: str
) -> None:
    path = good_tree / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert expected in errors_of(good_tree)


def test_missing_required_key_points_at_the_enclosing_mapping(good_tree: Path) -> None:
    path = good_tree / "instruments" / "beta-forum.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("kind: forum\n", ""), encoding="utf-8")
    assert errors_of(good_tree) == ["instruments/beta-forum.yaml:1:1: missing required key 'kind'"]


def test_warnings_are_located_and_strict_turns_them_into_errors(good_tree: Path) -> None:
    path = good_tree / "instruments" / "beta-forum.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "sources:\n  - {key: note, title: Meeting note, publisher: Fixture Ministry}\n", "sources: []\n"
    )
    path.write_text(text, encoding="utf-8")
    corpus = load_corpus(good_tree, today=date(2026, 11, 20))
    shown = [w.format().replace(str(good_tree) + "/", "") for w in corpus.warnings]
    assert shown == [
        "instruments/beta-forum.yaml:10:10: warning: no sources: every file needs at least one [content.sources]"
    ]
    result = run_cli("check", "--content", good_tree)
    assert result.code == 0, result.stderr
    assert "warning: no sources" in result.stderr
    strict = run_cli("check", "--strict", "--content", good_tree)
    assert strict.code == 1
    assert "no sources: every file needs at least one [content.sources] (--strict)" in strict.stderr


def test_stale_content_warns_at_the_as_of_line(good_tree: Path) -> None:
    today = date(2036, 10, 15)
    corpus = load_corpus(good_tree, today=today)
    shown = [w.format().replace(str(good_tree) + "/", "") for w in corpus.warnings]
    age = (today - date(2026, 10, 1)).days
    # alpha-pact (as_of 2026-11-01) is still inside the fixture office's 3650-day limit; beta-forum is not
    assert shown == [
        f"instruments/beta-forum.yaml:12:8: warning: not reviewed for {age} days (as_of 2026-10-01; limit 3650) "
        "[content.stale]"
    ]


def test_the_bad_tree_reports_every_error_of_every_file_together() -> None:
    result = run_cli("check", "--content", "tests/fixtures/bad")
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "tests/fixtures/bad/instruments/delta-accord.yaml:3:7: kind: 'accord' is not one of 'treaty', 'organization', "
        "'council', 'forum', 'conference', 'board', 'programme', 'bilateral-agreement', 'convention', 'mission', "
        "'engagement' or 'initiative'",
        "tests/fixtures/bad/instruments/delta-accord.yaml:4:10: release: 'secret' is not one of 'public', 'internal' or 'restricted'",
        "tests/fixtures/bad/instruments/epsilon.yaml:3:1: while parsing a flow sequence (opened at line 2, column 7): "
        "did not find expected ',' or ']'",
        "tests/fixtures/bad/instruments/gamma-board.yaml:6:14: established 2030 is after as_of 2026-02-01",
        "tests/fixtures/bad/instruments/gamma-board.yaml:7:32: status.since 2031-01 is after as_of 2026-02-01",
        "tests/fixtures/bad/instruments/gamma-board.yaml:10:12: cites unknown source 'missing-source'",
        "tests/fixtures/bad/instruments/gamma-board.yaml:13:15: members[0].country: unknown country 'XX' (not in countries.yaml)",
        "tests/fixtures/bad/instruments/gamma-board.yaml:14:39: members[1]: left 1999 is before joined 2001",
        "tests/fixtures/bad/instruments/gamma-board.yaml:16:12: timeline[0].date 2027-01-01 is after as_of 2026-02-01",
        "tests/fixtures/bad/instruments/gamma-board.yaml:17:11: related[0]: unknown instrument 'alpha-pakt'",
        "tests/fixtures/bad/instruments/gamma-board.yaml:17:23: an instrument cannot be related to itself",
        "tests/fixtures/bad/instruments/gamma-board.yaml:18:10: warning: no sources: every file needs at least one "
        "[content.sources]",
        "content: 11 errors, 1 warning",
    ]


def test_github_actions_gets_annotations(good_tree: Path) -> None:
    path = good_tree / ALPHA
    path.write_text(path.read_text(encoding="utf-8").replace("kind: treaty", "kind: pact"), encoding="utf-8")
    result = run_cli("check", "--content", good_tree, env={"GITHUB_ACTIONS": "true"})
    assert result.code == 1
    annotations = [line for line in result.stderr.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 1
    assert annotations[0].startswith(
        f"::error file={good_tree / ALPHA},line=5,col=7::kind: 'pact' is not one of"
    )


def test_json_schema_in_the_repository_is_current() -> None:
    for name, schema in json_schemas().items():
        on_disk = json.loads((ROOT / "schema" / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert on_disk == schema, f"schema/{name}.schema.json is stale: run `python build.py schema`"


def test_json_schema_accepts_the_good_fixtures_as_an_editor_reads_them() -> None:
    import jsonschema
    import yaml

    validator = jsonschema.Draft202012Validator(json_schemas()["instrument"])
    for path in sorted((FIXTURES / "good" / "instruments").glob("*.yaml")):
        # an editor reads dates as strings and years as integers
        data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
        assert [e.message for e in validator.iter_errors(data)] == []


def test_a_large_corpus_loads_on_worker_processes_with_the_same_result(tmp_path: Path) -> None:
    import shutil

    from atalaya import model

    content = tmp_path / "content"
    shutil.copytree(GOOD, content)
    alpha = (content / ALPHA).read_text(encoding="utf-8")
    count = model.PARALLEL_LOAD_FROM + 10
    for n in range(count):
        copy = alpha.replace("id: alpha-pact", f"id: alpha-{n:03d}").replace(
            "related: [beta-forum]", "related: []"
        )
        (content / "instruments" / f"alpha-{n:03d}.yaml").write_text(copy, encoding="utf-8")
    broken = content / "instruments" / "alpha-007.yaml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("kind: treaty", "kind: treety"), encoding="utf-8"
    )
    messages = errors_of(content)
    assert messages == [
        "instruments/alpha-007.yaml:5:7: kind: 'treety' is not one of 'treaty', 'organization', 'council', 'forum', "
        "'conference', 'board', 'programme', 'bilateral-agreement', 'convention', 'mission', 'engagement' or 'initiative'"
    ]
    broken.unlink()
    corpus = load_corpus(content, today=date(2026, 11, 20))
    assert len(corpus.instruments) == count + 1
    assert corpus.instruments["alpha-042"].members[2].left == PartialDate(2001, 2)
    assert (
        corpus.files[str(content / "instruments" / "alpha-042.yaml")]
        == content / "instruments" / "alpha-042.yaml"
    )


@pytest.mark.parametrize("reserved", ["index", "book", "countries", "changes"])
def test_an_instrument_may_not_take_a_reserved_output_name(good_tree: Path, reserved: str) -> None:
    source = good_tree / "instruments" / "beta-forum.yaml"
    text = source.read_text(encoding="utf-8").replace("id: beta-forum", f"id: {reserved}")
    source.unlink()
    (good_tree / "instruments" / f"{reserved}.yaml").write_text(text, encoding="utf-8")
    for other in good_tree.glob("instruments/*.yaml"):
        other.write_text(other.read_text(encoding="utf-8").replace("beta-forum", reserved), encoding="utf-8")
    result = run_cli("check", "--content", good_tree)
    assert result.code == 1, result.stderr
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("id:"))
    assert f"{reserved}.yaml:{line}:5: id '{reserved}' is reserved" in result.stderr
    assert "Traceback" not in result.stderr
