"""Lint as a test: the one-way import rules of STYLE.md are enforced by ruff's banned-api."""

from __future__ import annotations

import shutil
import subprocess
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


def test_library_does_not_import_the_cli_or_rich() -> None:
    offenders = []
    for path in (ROOT / "mocap_seq2seq").rglob("*.py"):
        text = path.read_text()
        for banned in ("import typer", "from rich", "import rich", "mocap_cli"):
            if banned in text and path.name != "reports.py":
                offenders.append(f"{path.name}: {banned}")
    assert offenders == []


def test_cli_help_does_not_import_keras() -> None:
    code = "import sys, mocap_cli.app; print('keras' in sys.modules)"
    result = subprocess.run(
        ["python", "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
