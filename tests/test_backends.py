"""Files saved under each Keras backend load under every other one, with the same predictions."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "scripts" / "backend_script.py"
BACKENDS = [name for name in ("tensorflow", "jax", "torch") if importlib.util.find_spec(name)]


def _run(backend: str, command: str, folder: Path) -> str:
    env = {**os.environ, "KERAS_BACKEND": backend, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), command, str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{backend} {command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.backend
@pytest.mark.slow
@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs at least two Keras backends installed")
def test_every_backend_loads_every_other_backends_files(tmp_path: Path) -> None:
    # Each backend saves, then loads what the earlier ones saved; a second,
    # load-only pass covers the pairs the first pass could not (earlier
    # backends reading later ones' files). One process per pass and backend.
    checks: list[str] = []
    for backend in BACKENDS:
        checks += _run(backend, "save", tmp_path).splitlines()
    for backend in BACKENDS[:-1]:
        checks += _run(backend, "load", tmp_path).splitlines()
    loads = [line for line in checks if "->" in line]
    assert all(line.endswith("ok=True") for line in loads), checks
    # Lines read "<saver>-><loader> <format> ...": every ordered pair, both formats.
    checked = {tuple(line.split()[:2]) for line in loads}
    expected = {
        (f"{saver}->{loader}", file_format)
        for saver in BACKENDS
        for loader in BACKENDS
        if saver != loader
        for file_format in ("keras", "weights")
    }
    assert checked == expected, checks


@pytest.mark.backend
@pytest.mark.slow
@pytest.mark.parametrize("backend", [name for name in BACKENDS if name != "tensorflow"])
def test_cli_trains_embeds_and_clusters_under_each_backend(
    backend: str, data_dir: Path, tmp_path: Path
) -> None:
    # The same commands a user runs, under KERAS_BACKEND=jax / torch, in a real subprocess.
    env = {**os.environ, "KERAS_BACKEND": backend, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    run = tmp_path / "run"
    commands = [
        [
            "train",
            "--trial",
            "01",
            "--steps",
            "6",
            "--hidden-size",
            "8",
            "--source-length",
            "20",
            "--target-length",
            "10",
            "--batch-size",
            "4",
            "--checkpoint-every",
            "3",
            "-o",
            str(run),
            "--data-dir",
            str(data_dir),
        ],
        ["embed", str(run), "--data-dir", str(data_dir)],
        ["cluster", str(run / "embedding.h5"), "--k", "oracle", "-o", str(tmp_path / "c")],
        ["evaluate", str(tmp_path / "c"), "--no-figure"],
    ]
    for command in commands:
        result = subprocess.run(
            [sys.executable, "-m", "mocap_cli.app", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"{command[0]}: {result.stdout}\n{result.stderr}"
    config = (run / "config.json").read_text()
    assert f'"keras_backend": "{backend}"' in config
    assert (tmp_path / "c" / "evaluation.json").is_file()
