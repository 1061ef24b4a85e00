"""--distribute: data parallelism over 2 forced host devices on JAX, a clear error elsewhere."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "scripts" / "distribute_script.py"


@pytest.mark.backend
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_data_parallel_training_on_two_host_devices() -> None:
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        OMP_NUM_THREADS="1",
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
    )
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["devices"] == 2 and report["device_count"] == 2
    assert all(loss == loss for loss in report["losses"])  # finite, not NaN
    assert report["states"] == [301, 8]
    assert "must divide by the number of devices (2)" in report["odd_batch"]


def test_distribute_refuses_other_backends(data_dir: Path) -> None:
    from typer.testing import CliRunner

    from mocap_cli.app import app

    if os.environ.get("KERAS_BACKEND", "tensorflow") == "jax":
        pytest.skip("this checks the refusal on a non-JAX backend")
    result = CliRunner().invoke(
        app, ["train", "--trial", "01", "--distribute", "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 2
    assert "--distribute needs the JAX backend" in result.output
