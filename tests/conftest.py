"""Shared helpers: the fixture trees, running the command line, copying a tree to mutate it, and the
`--update-goldens` option that rewrites tests/goldens/ (see tests/test_goldens.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
GOOD = FIXTURES / "good"
CONTENT = ROOT / "content"
TEMPLATES = ROOT / "templates"
GOLDENS = ROOT / "tests" / "goldens"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/goldens/ from what the templates render now (slow tests included); "
        "only after changing a template or the rendering on purpose, then review the diff",
    )


def pytest_configure(config: pytest.Config) -> None:
    # The golden HTML is a slow test (it builds PDFs): when updating, run it whatever -m the default
    # options select, so one command rewrites every golden.
    if config.getoption("update_goldens"):
        config.option.markexpr = ""


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    """Whether this run rewrites the goldens instead of comparing with them."""
    return bool(request.config.getoption("update_goldens"))


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Run:
    """Run `python build.py ARGS` as a user would, in a clean environment (no CI colour, no terminal)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR")}
    environment.update(env or {})
    done = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def good_tree(tmp_path: Path) -> Path:
    """A writable copy of the good fixture tree."""
    target = tmp_path / "content"
    shutil.copytree(GOOD, target)
    return target
