"""The CI workflow: valid, hardened, and its own build and merge commands give the one-shot manifest."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import GOOD, ROOT, run_cli

WORKFLOW = ROOT / ".github" / "workflows" / "briefings.yml"


def workflow() -> dict[str, object]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(found).exists():
        pytest.skip(f"{name} is not installed (it is in requirements-dev.lock)")
    return found


def test_workflow_validates_against_githubs_schema() -> None:
    done = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_passes_zizmor() -> None:
    done = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_triggers_pins_and_permissions() -> None:
    data = workflow()
    triggers = data[True] if True in data else data["on"]  # YAML 1.1 reads the key `on` as true
    assert {"push", "pull_request", "schedule", "workflow_dispatch"} <= set(triggers)
    assert data["permissions"] == {}
    text = WORKFLOW.read_text(encoding="utf-8")
    for uses in re.findall(r"uses:\s*(\S+)", text):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses), uses
    for name, job in data["jobs"].items():
        assert job["permissions"] == {"contents": "read"}, name
    assert {"check", "test", "build", "merge", "publish"} <= set(data["jobs"])


def _step_run(job: str, needle: str) -> str:
    for step in workflow()["jobs"][job]["steps"]:
        if needle in step.get("run", ""):
            return step["run"]
    raise AssertionError(f"no step of job {job} runs {needle!r}")


@pytest.mark.slow
def test_the_workflows_own_shard_and_merge_commands_give_the_one_shot_manifest(tmp_path: Path) -> None:
    """Run the build job's command for each shard and the merge job's commands, as the runners would."""
    work = tmp_path / "checkout"
    work.mkdir()
    (work / "build.py").symlink_to(ROOT / "build.py")
    (work / "templates").symlink_to(ROOT / "templates")
    (work / "content").symlink_to(GOOD)
    venv_bin = work / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    # A symlink to a venv's interpreter loses the venv's site-packages (Python finds pyvenv.cfg beside the
    # path it was started by), so the fake checkout's python starts this interpreter by its own path.
    launcher = venv_bin / "python"
    launcher.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)

    shards = int(workflow()["env"]["SHARDS"])
    matrix = workflow()["jobs"]["build"]["strategy"]["matrix"]["shard"]
    assert matrix == list(range(1, shards + 1))
    build_command = _step_run("build", "build.py build")
    for shard in matrix:
        environment = {**os.environ, "SHARD": str(shard), "SHARDS": str(shards)}
        done = subprocess.run(
            ["bash", "-c", build_command],
            cwd=work,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        # download-artifact puts each shard's upload under shards/shard-K/
        (work / "shards").mkdir(exist_ok=True)
        shutil.move(work / "shard-output", work / "shards" / f"shard-{shard}")

    merge_command = _step_run("merge", "build.py merge")
    done = subprocess.run(
        ["bash", "-c", merge_command], cwd=work, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr

    one_shot = tmp_path / "one-shot"
    assert run_cli("build", "--content", GOOD, "--output", one_shot).code == 0
    merged = json.loads((work / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert merged == json.loads((one_shot / "manifest.json").read_text(encoding="utf-8"))
    assert (work / "output" / "index.html").read_bytes() == (one_shot / "index.html").read_bytes()

    summary = run_cli(
        "summary", "--content", GOOD, "--output", work / "output", "--previous", one_shot / "manifest.json"
    )
    assert summary.code == 0, summary.stderr
    assert "| Alpha Pact | 2026-11-01 |" in summary.stdout
    assert "0 new or changed since the previous run" in summary.stdout


@pytest.mark.slow
def test_summary_reports_changes_and_stale_content(tmp_path: Path) -> None:
    output = tmp_path / "output"
    assert run_cli("build", "--content", GOOD, "--output", output, "--format", "docx").code == 0
    previous = tmp_path / "previous.json"
    data = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    for entry in data["targets"]:
        if entry["target"] in ("public/alpha-pact.docx", "analyst/beta-forum.docx"):
            entry["sha256"] = "0" * 64
    previous.write_text(json.dumps(data), encoding="utf-8")
    content = tmp_path / "content"
    shutil.copytree(GOOD, content)
    office = content / "office.yaml"
    office.write_text(
        office.read_text(encoding="utf-8").replace("stale_after_days: 3650", "stale_after_days: 1"),
        encoding="utf-8",
    )
    # By default the summary covers the lowest-clearance audience (public) only.
    summary = run_cli("summary", "--content", content, "--output", output, "--previous", previous)
    assert summary.code == 0, summary.stderr
    assert summary.stdout.startswith("**PUBLIC**\n")
    assert "| Alpha Pact | 2026-11-01 | – | DOCX **changed** |" in summary.stdout
    assert "| Briefing book | 2026-11-01 | – | DOCX |" in summary.stdout
    assert "Country briefs: 3 countries, 3 documents (0 new or changed) in `countries/`." in summary.stdout
    # the brief, the book and the country briefs on AR, BR and CL
    assert "5 documents; 1 new or changed since the previous run" in summary.stdout
    assert "### Overdue for review" in summary.stdout
    assert "`alpha-pact.yaml` (line 41): not reviewed for" in summary.stdout
    assert "Beta Forum" not in summary.stdout and "beta-forum" not in summary.stdout  # an internal file

    analyst = run_cli(
        "summary", "--content", content, "--output", output, "--previous", previous, "--audience", "analyst"
    )
    assert analyst.code == 0, analyst.stderr
    assert analyst.stdout.startswith("**RESTRICTED**\n")
    assert "| Beta Forum | 2026-10-01 | – | DOCX **changed** |" in analyst.stdout
    assert "| Briefing book | 2026-11-01 | – | DOCX |" in analyst.stdout
    assert "Country briefs: 4 countries, 4 documents (0 new or changed) in `countries/`." in analyst.stdout
    # two briefs, the book and the country briefs on AR, BR, CL and NO (an observer the analyst sees)
    assert "7 documents; 1 new or changed since the previous run" in analyst.stdout
    assert "`beta-forum.yaml` (line 12): not reviewed for" in analyst.stdout


def test_ci_run_executes_the_readmes_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
    assert "build.py" in commands[0]
    assert "pytest" in commands[1]
    # The default run leaves out the tests that render documents; CI must run them too.
    assert commands[1].endswith('-m "slow or not slow"')
