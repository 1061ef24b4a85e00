"""Embedding lift: settings, constants, and scoring through the library's pipeline.

Run through ``python bench/embedding_lift.py``; see its docstring.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import common
import numpy as np

RESULTS = common.RESULTS_DIR
FIGURES = RESULTS / "figures"
LIFT_RUNS = common.SCRATCH_DIR / "lift-runs"

SEEDS = (0, 1, 2)
ABLATION_TRIALS = ("01", "11", "14")
CONCAT_SEEDS = tuple(range(10))
ORACLE, AUTO = "oracle", "automatic"
SEGMENTER_NAMES = ("kernel", "kmeans", "paper")
METHODS = tuple((m, k) for m in SEGMENTER_NAMES for k in (ORACLE, AUTO))
STATES, RAW, PCA95, PCAPR, UNTRAINED = "states", "raw", "pca-n95", "pca-pr", "untrained"
#: States and poses side by side, each z-scored and scaled to equal total variance
#: (kernel segmenter only): do the states add anything the poses lack?
COMBINED = "states+raw"
FEATURES = (STATES, RAW, PCA95, PCAPR, UNTRAINED, COMBINED)
#: Steps between the checkpoints of the monitor study (and the trajectory runs).
CHUNK = 250
MONITOR_MAX_STEPS = 4000

SCORE_COLUMNS = (
    "n_clusters_pred",
    "n_segments_pred",
    "accuracy",
    "paper_accuracy",
    "ari",
    "ami",
    "nmi",
    "boundary_f1",
    "segment_seconds",
)

LIFT_KEY = ("workload", "sequence", "seed", "features", "method", "k_mode")
LIFT_COLUMNS = (
    *LIFT_KEY,
    "detail",
    "n_frames",
    "n_actions_true",
    "n_segments_true",
    "dim",
    "states_n95",
    "states_pr",
    *SCORE_COLUMNS,
    "hidden_size",
    "train_steps",
    "machine",
    "finished",
    "note",
)

ABLATION_KEY = ("factor", "value", "trial", "seed", "method", "k_mode")
ABLATION_COLUMNS = (
    *ABLATION_KEY,
    "config",
    "n_frames",
    "n_actions_true",
    "n_segments_true",
    "dim",
    "n95",
    "participation_ratio",
    "train_seconds",
    "embed_seconds",
    "forecast_ratio",
    "monitor",
    *SCORE_COLUMNS,
    "machine",
    "finished",
    "note",
)

MONITOR_KEY = ("trial", "seed", "step")
MONITOR_SEGMENTERS = (("kernel", ORACLE), ("kernel", AUTO), ("kmeans", ORACLE), ("paper", ORACLE))
MONITOR_COLUMNS = (
    *MONITOR_KEY,
    "train_seconds",
    "loss",
    "forecast_ratio",
    "monitor",
    "n95",
    *[f"{m}_{k}_{s}" for m, k in MONITOR_SEGMENTERS for s in ("accuracy", "ari")],
    "kernel_automatic_clusters",
    "machine",
    "finished",
)


@dataclass(frozen=True)
class Settings:
    """Where results go and how long runs train (real or smoke)."""

    smoke: bool
    steps: int  # the default training steps
    chunk: int  # monitor checkpoint spacing
    lift_csv: Path
    ablation_csv: Path
    monitor_csv: Path
    summary_md: Path
    figures: Path
    default_runs: Path  # bench/segmentation.py's cache of default runs
    lift_runs: Path

    @classmethod
    def make(cls, smoke_steps: int | None) -> Settings:
        if smoke_steps is None:
            return cls(
                False,
                2000,
                CHUNK,
                RESULTS / "embedding_lift.csv",
                RESULTS / "embedding_lift_ablation.csv",
                RESULTS / "embedding_lift_monitor.csv",
                RESULTS / "embedding_lift.md",
                FIGURES,
                common.RUNS_DIR,
                LIFT_RUNS,
            )
        scratch = common.SCRATCH_DIR
        tag = f"smoke-{smoke_steps}"
        return cls(
            True,
            smoke_steps,
            max(smoke_steps // 2, 1),
            scratch / f"embedding_lift-{tag}.csv",
            scratch / f"embedding_lift_ablation-{tag}.csv",
            scratch / f"embedding_lift_monitor-{tag}.csv",
            scratch / f"embedding_lift-{tag}.md",
            scratch / f"figures-{tag}",
            scratch / f"runs-smoke-{smoke_steps}",
            scratch / f"lift-runs-{tag}",
        )

    def base_config(self, seed: int) -> Any:
        """The config of the cached default runs (read from one of them), with this seed.

        Pinned to what the reference runs were trained with, so that a later
        change of the library's defaults cannot slip into the variants only;
        fields the stored config predates take the behaviour of that time.
        """
        from mocap_seq2seq.model.training import TrainConfig

        fields = {f.name for f in dataclasses.fields(TrainConfig)}
        reference = self.default_runs / "subject86" / "trial01-seed0" / common.BENCH_RUN_FILE
        if reference.is_file():
            stored = json.loads(reference.read_text())["train"]
            values = {k: v for k, v in stored.items() if k in fields}
            for name, value in common.PREDATING_FIELDS.items():
                values.setdefault(name, value)  # the runs predate the option
            return TrainConfig(**values).replace(seed=seed)
        return (
            TrainConfig(seed=seed) if not self.smoke else TrainConfig(seed=seed, steps=self.steps)
        )


class OutOfTime(Exception):
    pass


class Clock:
    def __init__(self, max_minutes: float | None):
        self.deadline = time.monotonic() + 60 * max_minutes if max_minutes else math.inf
        self.max_minutes = max_minutes

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise OutOfTime


# ----------------------------------------------------------------------------- shared pieces


def effective_dimension(X: np.ndarray) -> tuple[int, float]:
    """``(n95, participation ratio)`` of the covariance spectrum of ``X``.

    ``n95``: fewest principal components holding 95 % of the variance;
    participation ratio: ``(sum l)^2 / sum l^2`` over the eigenvalues ``l``.
    """
    X = np.asarray(X, dtype=np.float64)
    X = X - X.mean(axis=0)
    if X.shape[1] > X.shape[0]:  # the same non-zero spectrum from the smaller Gram matrix
        eig = np.linalg.eigvalsh(X @ X.T / max(X.shape[0] - 1, 1))
    else:
        eig = np.linalg.eigvalsh(np.cov(X.T))
    eig = np.clip(eig[::-1], 0.0, None)
    total = eig.sum()
    if total <= 0:
        return 1, 1.0
    n95 = int(np.searchsorted(np.cumsum(eig) / total, 0.95) + 1)
    return n95, float(total**2 / np.sum(eig**2))


def pca_features(X: np.ndarray, n_components: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    n = int(max(1, min(n_components, X.shape[1], X.shape[0])))
    return PCA(n_components=n, random_state=0).fit_transform(X).astype(np.float32)


def score(source: Any, X: np.ndarray, method: str, k_mode: str, seed: int) -> dict[str, Any]:
    """Segment ``X`` and score it against the source's labels; one dict of SCORE_COLUMNS."""
    from mocap_seq2seq.pipeline import segment_frames
    from mocap_seq2seq.segment.evaluation import evaluate_labels

    started = time.perf_counter()
    out: dict[str, Any] = dict.fromkeys(SCORE_COLUMNS, math.nan)
    out["note"] = ""
    try:
        labels = segment_frames(
            X, method, labels=source.labels, oracle=k_mode == ORACLE, random_state=seed
        )
    except Exception as error:  # noqa: BLE001 - a failed segmenter is a row too
        out["note"] = f"failed: {type(error).__name__}: {error}"[:200]
        out["segment_seconds"] = time.perf_counter() - started
        return out
    out["segment_seconds"] = time.perf_counter() - started
    evaluation = evaluate_labels(
        source.labels,
        labels,
        source.tolerance_windows,
        sequence=source.name,
        method=method,
        k_mode=k_mode,
    )
    out.update(
        n_clusters_pred=evaluation.n_clusters_pred,
        n_segments_pred=evaluation.n_segments_pred,
        boundary_f1=evaluation.boundary_f1,
        **{
            name: evaluation.scores[name]
            for name in ("accuracy", "paper_accuracy", "ari", "ami", "nmi")
        },
    )
    return out


def fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (float, np.floating)) else str(value)


def load_cached_states(run_dir: Path, source: Any) -> tuple[np.ndarray, dict[str, Any]] | None:
    """States of a finished cached run (bench/common.py layout), or None if not there yet."""
    from mocap_seq2seq.model import training

    info_path = run_dir / common.BENCH_RUN_FILE
    states_path = run_dir / common.STATES_FILE
    if not (info_path.is_file() and states_path.is_file()):
        return None
    info = json.loads(info_path.read_text())
    if info.get("frames_sha256") != training.frames_digest(source.frames):
        raise SystemExit(f"{run_dir} was trained on other frames than {source.name}.")
    return np.load(states_path), info


def untrained_states(run_dir: Path, frames: np.ndarray, cache: Path) -> np.ndarray:
    """Decoder states of the untrained model of a run: same config, same seed, no step."""

    from mocap_seq2seq.embedding import embed_frames
    from mocap_seq2seq.model import training
    from mocap_seq2seq.model.windows import Normalization

    if cache.is_file():
        return np.load(cache)
    stored = json.loads((run_dir / "config.json").read_text())
    config = stored["train"]
    normalization = Normalization.from_dict(
        json.loads((run_dir / "normalization.json").read_text())
    )
    model = training.initial_model(training.TrainConfig(**config), normalization.n_channels)
    states, _ = embed_frames(model, normalization.transform(frames))
    cache.parent.mkdir(parents=True, exist_ok=True)
    common._save_npy(cache, states)
    return states


def parse_ints(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def parse_trials(text: str) -> list[str]:
    if text in ("all", ""):
        return list(common.SUBJECT86_TRIALS)
    return [f"{int(t):02d}" for t in text.split(",") if t.strip()]
