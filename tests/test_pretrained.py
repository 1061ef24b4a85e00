"""The shipped pretrained models load and reproduce their manifest's metrics (within 0.01)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mocap_seq2seq.paths import CLONE_ROOT
from mocap_seq2seq.pretrained import read_manifest

SHIPPED = CLONE_ROOT / "pretrained"
MODELS = read_manifest(SHIPPED) if (SHIPPED / "manifest.json").is_file() else {}
SCRIPT = Path(__file__).parent / "scripts" / "pretrained_script.py"
#: Checked under every backend; the others under the default backend only (time).
CROSS_BACKEND = [name for name in ("trial-01", "actions-all") if name in MODELS]


def _close(recomputed: dict, manifest: dict) -> list[str]:
    problems = []
    for k_mode, scores in manifest.items():
        for key in ("accuracy", "ari", "nmi", "boundary_f1"):
            if abs(recomputed[k_mode][key] - scores[key]) > 0.01:
                problems.append(
                    f"{k_mode} {key}: {recomputed[k_mode][key]:.4f} vs {scores[key]:.4f}"
                )
    return problems


@pytest.mark.skipif(not MODELS, reason="no pretrained models shipped yet")
def test_manifest_describes_every_model() -> None:
    for name, entry in MODELS.items():
        folder = SHIPPED / entry["folder"]
        described = entry.get("ensemble", {"n_members": 1, "seeds": [entry["train"]["seed"]]})
        if "ensemble" in entry:
            stored = json.loads((folder / "ensemble.json").read_text())
            assert stored["seeds"] == described["seeds"], name
            members = [folder / member for member in stored["members"]]
            seconds = sum(described["member_train_seconds"])
            assert entry["train_seconds"] == pytest.approx(seconds, abs=0.2), name
        else:
            members = [folder]
        assert len(members) == described["n_members"] == len(described["seeds"]), name
        for member, seed in zip(members, described["seeds"]):
            for file in ("config.json", "normalization.json", "model.weights.h5", "history.json"):
                assert (member / file).is_file(), f"{name}/{member.name}/{file}"
            train = json.loads((member / "config.json").read_text())["train"]
            assert train == {**entry["train"], "seed": seed}, f"{name}/{member.name}"
        weights = [(member / "model.weights.h5").stat().st_size for member in members]
        assert entry["weights_bytes"] == sum(weights), name
        assert max(weights) < 8_000_000
        files = [path for path in folder.rglob("*") if path.is_file()]
        assert entry["total_bytes"] == sum(path.stat().st_size for path in files), name
        assert {
            "train",
            "keras_backend",
            "keras_version",
            "train_seconds",
            "data_sha256",
            "metrics",
        } <= set(entry)
        assert set(entry["metrics"]) == {"automatic", "oracle"}


@pytest.mark.slow
@pytest.mark.skipif(not MODELS, reason="no pretrained models shipped yet")
@pytest.mark.parametrize("name", sorted(MODELS))
def test_pretrained_metrics_reproduce_on_the_default_backend(name: str) -> None:
    from mocap_seq2seq.pretrained import pretrained_metrics

    assert _close(pretrained_metrics(name), MODELS[name]["metrics"]) == []


@pytest.mark.slow
@pytest.mark.backend
@pytest.mark.skipif(not CROSS_BACKEND, reason="no pretrained models shipped yet")
@pytest.mark.parametrize(
    "backend", [b for b in ("tensorflow", "jax") if importlib.util.find_spec(b)]
)
def test_pretrained_metrics_reproduce_under_each_backend(backend: str) -> None:
    env = {**os.environ, "KERAS_BACKEND": backend, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *CROSS_BACKEND],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    recomputed = json.loads(result.stdout.strip().splitlines()[-1])
    for name in CROSS_BACKEND:
        assert _close(recomputed[name], MODELS[name]["metrics"]) == [], name
