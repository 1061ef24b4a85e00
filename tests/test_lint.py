"""Lint as a test: the one-way imports between the stages (import-linter's contracts in
pyproject.toml), the backend bans (ruff's banned-api), a fast `mocap --help`."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_ruff_is_clean() -> None:
    result = subprocess.run(
        ["ruff", "check", "mocap_seq2seq", "cli", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command;"
            " sys.argv = ['lint-imports', '--no-cache']; lint_imports_command()",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.skipif(importlib.util.find_spec("importlinter") is None, reason="no import-linter")
def test_stages_import_one_way() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.skipif(importlib.util.find_spec("importlinter") is None, reason="no import-linter")
def test_a_forbidden_import_fails(tmp_path: Path) -> None:
    # A copy of the package in which segment/ reaches up into model/: the checker must
    # refuse it, name both stages and point at the offending line.
    shutil.copytree(ROOT / "mocap_seq2seq", tmp_path / "mocap_seq2seq")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    metrics = tmp_path / "mocap_seq2seq" / "segment" / "metrics.py"
    metrics.write_text(metrics.read_text() + "\nfrom mocap_seq2seq.model import seq2seq\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "mocap_seq2seq.segment is not allowed to import mocap_seq2seq.model" in result.stdout
    assert "mocap_seq2seq.segment.metrics -> mocap_seq2seq.model.seq2seq" in result.stdout


def test_library_does_not_import_the_cli_or_rich() -> None:
    offenders = []
    for path in (ROOT / "mocap_seq2seq").rglob("*.py"):
        text = path.read_text()
        for banned in ("import typer", "from rich", "import rich", "mocap_cli"):
            if banned in text and path.parent.name != "report":
                offenders.append(f"{path.name}: {banned}")
    assert offenders == []


def test_cli_help_does_not_import_keras() -> None:
    code = "import sys, mocap_cli.app; print('keras' in sys.modules)"
    result = subprocess.run(
        ["python", "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
