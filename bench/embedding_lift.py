"""Embedding lift (issue 7): do decoder states segment motion better than the motion itself?

Leakage-free everywhere: models train on the raw sequence; labels are read to
score and, in ``oracle`` rows, to tell a segmenter the true number of actions K
(and, for the kernel segmenter, of segments). ``automatic`` rows get neither.
Segmenters: the toolkit's default ``kernel`` (kernel change points + MMD
clustering of segments), ``kmeans`` on frames, and the paper's ``paper``
(agglomerative, cosine, single linkage).

Subcommands:

``lift`` (part 1)
    On every subject-86 trial and case-(i) concatenation whose default run is
    cached by ``bench/segmentation.py`` (``bench/results/scratch/runs/<workload>/
    <sequence>-seed<k>/states.npy``; nothing is retrained, missing runs are
    skipped and picked up by a rerun), the segmenters run on (a) the trained
    decoder states, (b) the raw normalised poses, (c) a PCA of the poses with as
    many components as the states' effective dimension, and (d) the decoder
    states of an untrained model of the same shape and seed (a control).
    Effective dimension: ``n95``, the number of principal components holding 95 %
    of the states' variance (feature ``pca-n95``); the participation ratio
    ``PR = (sum l)^2 / sum l^2`` of the same spectrum is recorded and used for a
    second PCA (``pca-pr``).
``ablation`` (part 2)
    Cells ``(factor, value, trial, seed)`` on trials 01, 11, 14 (GRU 1024 on
    trial 01 only): hidden size, training steps, tied/untied, AGED, source and
    target length, frame rate, velocity inputs, one model per trial vs one over
    all ten trials, and the frame read-out (the decoder step that predicted the
    frame, all steps of its window concatenated, or their mean). The reference
    ("default") cells are the cached default runs themselves. Each variant's runs
    live in ``bench/results/scratch/lift-runs/<factor>-<value>/``; every cell
    records its training seconds. ``--trials`` with all ten trials and
    ``--factors factor=value`` confirms a chosen variant on every trial.
``monitor`` (part 3)
    One run per (trial, seed) advanced 250 steps at a time (``training.train``
    with increasing ``steps`` and ``resume=True``, in
    ``lift-runs/trajectory/``; the ``steps`` factor of the ablation reads the
    same runs). At every checkpoint, and at step 0 (untrained): the label-free
    monitor score (``monitor.clustering_score`` of the states) and the labelled
    scores of the segmenters on the same states.
``summarize``
    Markdown tables into ``bench/results/embedding_lift.md`` and figures into
    ``bench/results/figures/``.

Commands (from the repository root; every one resumable: rows already in the
CSV are skipped, runs are cached)::

    OMP_NUM_THREADS=1 TF_CPP_MIN_LOG_LEVEL=2 nice -n 10 python bench/embedding_lift.py lift
    ... python bench/embedding_lift.py monitor --trials 01,11,14 --seeds 0
    ... python bench/embedding_lift.py ablation --max-minutes 120
    ... python bench/embedding_lift.py ablation --trials all --factors hidden=512
    python bench/embedding_lift.py summarize

Outputs: ``bench/results/embedding_lift.csv`` (lift), ``embedding_lift_ablation.csv``,
``embedding_lift_monitor.csv``, ``embedding_lift.md``, ``figures/embedding_lift_*.png``.
A hidden ``--steps N`` runs everything tiny into ``bench/results/scratch`` (smoke tests).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402 - bench/ is put on the path just above

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


def segment(X: np.ndarray, method: str, k_mode: str, k: int, n_segments: int, seed: int) -> Any:
    """Frame labels of one segmenter (oracle: told K, and the kernel also the segments)."""
    from mocap_seq2seq.segment.segmentation import SEGMENTERS

    oracle = k_mode == ORACLE
    if method == "kernel":
        model = SEGMENTERS["kernel"](
            **({"n_clusters": k, "n_segments": n_segments} if oracle else {})
        )
    elif method == "kmeans":
        model = SEGMENTERS["kmeans"](n_clusters=k if oracle else None, random_state=seed)
    else:
        model = SEGMENTERS["paper"](n_clusters=k if oracle else None)
    return model.fit(X).frame_labels_


def score(source: Any, X: np.ndarray, method: str, k_mode: str, seed: int) -> dict[str, Any]:
    """Segment ``X`` and score it against the source's labels; one dict of SCORE_COLUMNS."""
    from mocap_seq2seq.segment.evaluation import evaluate_labels

    k, n_segments = common.oracle_counts(source.labels)
    started = time.perf_counter()
    out: dict[str, Any] = dict.fromkeys(SCORE_COLUMNS, math.nan)
    out["note"] = ""
    try:
        labels = segment(X, method, k_mode, k, n_segments, seed)
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


# ----------------------------------------------------------------------------- part 1: lift


def lift_plan(
    trials: list[str], concats: list[int], seeds: list[int]
) -> Iterator[tuple[str, str, int, Callable[[], Any]]]:
    for seed in seeds:
        for trial in trials:
            yield "subject86", f"trial{trial}", seed, common.trial_loader(trial)
        for concat in concats:
            yield "actions", f"concat{concat}", seed, common.concat_loader(concat, False)
            yield "actions", f"concat{concat}-no-root", seed, common.concat_loader(concat, True)


def equal_weight(features: np.ndarray) -> np.ndarray:
    """Z-scored columns (constant ones dropped), scaled so that the total variance is 1."""
    kept = features[:, features.std(axis=0) > 1e-8]
    return (kept - kept.mean(axis=0)) / kept.std(axis=0) / np.sqrt(kept.shape[1])


def run_lift(args: argparse.Namespace, settings: Settings) -> None:
    results = common.ResultsCSV(settings.lift_csv, LIFT_COLUMNS, LIFT_KEY)
    clock = Clock(args.max_minutes)
    machine = common.machine_string()
    common.log(f"lift -> {settings.lift_csv} ({len(results.keys)} rows there); {machine}")
    memo: dict[tuple[Any, ...], dict[str, Any]] = {}
    written, skipped = 0, []
    try:
        for workload, sequence, seed, load in lift_plan(
            parse_trials(args.trials), parse_ints(args.concat_seeds), parse_ints(args.seeds)
        ):
            base = {"workload": workload, "sequence": sequence, "seed": seed}
            todo = [
                (f, m, k)
                for f in FEATURES
                for m, k in METHODS
                if (f != COMBINED or m == "kernel")
                and {**base, "features": f, "method": m, "k_mode": k} not in results
            ]
            if not todo:
                continue
            run_dir = settings.default_runs / workload / f"{sequence}-seed{seed}"
            if not (run_dir / common.STATES_FILE).is_file():
                skipped.append(f"{sequence}-seed{seed}")
                continue
            clock.check()
            source = load()
            cached = load_cached_states(run_dir, source)
            if cached is None:
                skipped.append(f"{sequence}-seed{seed}")
                continue
            states, info = cached
            n95, pr = effective_dimension(states)
            raw = common.raw_features(source.frames)
            features = {
                STATES: states,
                RAW: raw,
                PCA95: pca_features(raw, n95),
                PCAPR: pca_features(raw, int(round(pr))),
                UNTRAINED: untrained_states(
                    run_dir,
                    source.frames,
                    settings.lift_runs / "untrained" / workload / f"{sequence}-seed{seed}.npy",
                ),
                COMBINED: np.hstack([equal_weight(states), equal_weight(raw)]),
            }
            k, n_segments = common.oracle_counts(source.labels)
            common.log(
                f"{sequence} seed {seed}: {source.frames.shape[0]} frames, K {k}, "
                f"{n_segments} segments; states {states.shape[1]}-d, n95 {n95}, PR {pr:.1f}; "
                f"raw {raw.shape[1]}-d"
            )
            for feature, method, k_mode in todo:
                clock.check()
                X = features[feature]
                deterministic = feature in (RAW, PCA95, PCAPR) and method != "kmeans"
                memo_key = (sequence, feature, X.shape[1], method, k_mode)
                if deterministic and memo_key in memo:
                    scores = memo[memo_key]
                else:
                    scores = score(source, X, method, k_mode, seed)
                    if deterministic:
                        memo[memo_key] = scores
                row: dict[str, Any] = dict.fromkeys(LIFT_COLUMNS, "")
                row.update(base, features=feature, method=method, k_mode=k_mode)
                row.update(scores)
                row.update(
                    detail=source.name,
                    n_frames=source.frames.shape[0],
                    n_actions_true=k,
                    n_segments_true=n_segments,
                    dim=X.shape[1],
                    states_n95=n95,
                    states_pr=pr,
                    hidden_size=info["train"]["hidden_size"],
                    train_steps=info["train"]["steps"],
                    machine=machine,
                    finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
                )
                results.append(row)
                written += 1
                common.log(
                    f"  {feature:9s} {method:6s} {k_mode:9s} acc {fmt(row['accuracy'])} "
                    f"ari {fmt(row['ari'])} K {row['n_clusters_pred']} "
                    f"({row['segment_seconds']:.1f} s){' ' + row['note'] if row['note'] else ''}"
                )
    except OutOfTime:
        common.log(f"--max-minutes {args.max_minutes} reached: stopping between rows.")
    if skipped:
        common.log(f"no cached default run yet (rerun later): {', '.join(skipped)}")
    common.log(f"lift: wrote {written} rows to {settings.lift_csv}")


# ----------------------------------------------------------------------------- trajectories


def trajectory_states(
    settings: Settings, source: Any, trial: str, seed: int, step: int
) -> tuple[np.ndarray, dict[str, Any]] | None:
    """States of the run of ``trial``/``seed`` after ``step`` steps (0: untrained).

    The run advances ``settings.chunk`` steps per ``training.train`` call
    (``resume=True``) and the states of every checkpoint it passes are saved as
    ``states-<step>.npy``, with the cumulative training seconds, loss and
    forecast ratio in ``trajectory.json``. Returns None for a checkpoint that
    was passed without its states being saved (a kill at the wrong moment).
    """

    from mocap_seq2seq.atomic import write_json
    from mocap_seq2seq.embedding import embed_frames
    from mocap_seq2seq.model import training
    from mocap_seq2seq.model.windows import fit_normalization

    run_dir = settings.lift_runs / "trajectory" / f"trial{trial}-seed{seed}"
    meta_path = run_dir / "trajectory.json"
    meta: dict[str, Any] = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    points = meta.setdefault("points", {})

    def states_path(s: int) -> Path:
        return run_dir / f"states-{s:05d}.npy"

    if states_path(step).is_file() and str(step) in points:
        return np.load(states_path(step)), points[str(step)]
    config = settings.base_config(seed)
    if step == 0:
        normalization = fit_normalization(source.frames)
        model = training.initial_model(config.replace(seed=seed), normalization.n_channels)
        states, _ = embed_frames(model, normalization.transform(source.frames))
        run_dir.mkdir(parents=True, exist_ok=True)
        common._save_npy(states_path(0), states)
        points["0"] = {"train_seconds": 0.0, "loss": math.nan, "forecast_ratio": math.nan}
        write_json(meta_path, meta)
        return states, points["0"]

    def current_step() -> int:
        pointer = run_dir / training.CHECKPOINT_FILE
        return int(json.loads(pointer.read_text())["step"]) if pointer.is_file() else 0

    def record(s: int, seconds: float) -> np.ndarray:
        model, normalization, _ = training.load_run(run_dir)
        states, _ = embed_frames(model, normalization.transform(source.frames))
        common._save_npy(states_path(s), states)
        history = json.loads((run_dir / training.HISTORY_FILE).read_text())
        index = history["step"].index(s) if s in history["step"] else -1
        before = max((int(p) for p in points if int(p) < s), default=0)
        points[str(s)] = {
            "train_seconds": points.get(str(before), {}).get("train_seconds", 0.0) + seconds,
            "loss": history["loss"][index],
            "forecast_ratio": history["forecast_ratio"][index],
        }
        write_json(meta_path, meta)
        return states

    current = current_step()
    if current > 0 and str(current) not in points and (run_dir / training.WEIGHTS_FILE).is_file():
        record(current, math.nan)  # trained, killed before its states were saved
    if current >= step:
        if states_path(step).is_file() and str(step) in points:
            return np.load(states_path(step)), points[str(step)]
        return None
    states = None
    while current < step:
        target = min((current // settings.chunk + 1) * settings.chunk, step)
        common.log(f"  trajectory trial {trial} seed {seed}: {current} -> {target} steps")
        result = training.train(
            config.replace(steps=target),
            source.frames,
            run_dir,
            data={**source.description, "bench": "embedding_lift trajectory"},
            monitor=None,
            resume=current > 0,
            overwrite=current == 0,
        )
        states = record(target, result.seconds)
        current = target
    return states, points[str(step)]


# ----------------------------------------------------------------------------- part 3: monitor


def monitor_row(
    source: Any, states: np.ndarray, point: dict[str, Any], seed: int, machine: str
) -> dict[str, Any]:
    from mocap_seq2seq.monitor import clustering_score

    row: dict[str, Any] = dict.fromkeys(MONITOR_COLUMNS, "")
    row.update(
        train_seconds=point["train_seconds"],
        loss=point["loss"],
        forecast_ratio=point["forecast_ratio"],
        monitor=clustering_score(states),
        n95=effective_dimension(states)[0],
        machine=machine,
        finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    for method, k_mode in MONITOR_SEGMENTERS:
        scores = score(source, states, method, k_mode, seed)
        row[f"{method}_{k_mode}_accuracy"] = scores["accuracy"]
        row[f"{method}_{k_mode}_ari"] = scores["ari"]
        if (method, k_mode) == ("kernel", AUTO):
            row["kernel_automatic_clusters"] = scores["n_clusters_pred"]
    return row


def run_monitor(args: argparse.Namespace, settings: Settings) -> None:
    results = common.ResultsCSV(settings.monitor_csv, MONITOR_COLUMNS, MONITOR_KEY)
    clock = Clock(args.max_minutes)
    machine = common.machine_string()
    max_steps = args.max_steps or (MONITOR_MAX_STEPS if not settings.smoke else 2 * settings.steps)
    grid = list(range(0, max_steps + 1, settings.chunk))
    common.log(
        f"monitor -> {settings.monitor_csv} ({len(results.keys)} rows there); "
        f"checkpoints {grid[0]}..{grid[-1]} every {settings.chunk}"
    )
    written = 0
    try:
        for seed in parse_ints(args.seeds):
            for trial in parse_trials(args.trials):
                source = None
                for step in grid:
                    key = {"trial": trial, "seed": seed, "step": step}
                    if key in results:
                        continue
                    clock.check()
                    source = source or common.trial_loader(trial)()
                    got = trajectory_states(settings, source, trial, seed, step)
                    if got is None:
                        common.log(f"  trial {trial} seed {seed} step {step}: states lost, skipped")
                        continue
                    row = monitor_row(source, *got, seed, machine)
                    row.update(key)
                    results.append(row)
                    written += 1
                    common.log(
                        f"trial {trial} seed {seed} step {step:5d}: monitor {row['monitor']:.3f} "
                        f"forecast {fmt(row['forecast_ratio'])} kernel-oracle ari "
                        f"{fmt(row['kernel_oracle_ari'])} kernel-auto ari "
                        f"{fmt(row['kernel_automatic_ari'])} kmeans-oracle ari "
                        f"{fmt(row['kmeans_oracle_ari'])}"
                    )
    except OutOfTime:
        common.log(f"--max-minutes {args.max_minutes} reached: stopping between rows.")
    common.log(f"monitor: wrote {written} rows to {settings.monitor_csv}")


# ----------------------------------------------------------------------------- part 2: ablation


@dataclass(frozen=True)
class Variant:
    """One value of one factor: how its states are made."""

    factor: str
    value: str
    kind: str  # default | train | trajectory | readout | pooled
    changes: dict[str, Any] = field(default_factory=dict)  # TrainConfig changes
    inputs: str = "poses"  # poses | velocities
    downsample: int = 1
    readout: str = "step"  # step | window-all | window-mean
    steps: int = 0  # trajectory: the step to read
    trials: tuple[str, ...] | None = None  # only these trials

    @property
    def folder(self) -> str:
        return f"{self.factor}-{self.value}".replace("/", "-")


#: The reference value of every factor, as the summary names it.
DEFAULT_VALUES = {
    "hidden": "256",
    "steps": "2000",
    "tied": "tied",
    "model": "seq2seq",
    "window": "50/25",
    "fps": "120",
    "inputs": "poses",
    "fit": "per-trial",
    "readout": "step",
    "root": "position",
    "objective": "MSE",
}


def variants(settings: Settings) -> list[Variant]:
    """Every ablation value, in the order cells are run (cheap first; GRU 1024 last)."""
    n = settings.steps
    steps_values = (500, 1000, 4000) if not settings.smoke else (n // 2, 2 * n)
    return [
        Variant("default", "default", "default"),
        Variant("root", "velocity", "train", {"root_velocity": True}),
        Variant("readout", "window-all", "readout", readout="window-all"),
        Variant("readout", "window-mean", "readout", readout="window-mean"),
        Variant("fit", "all-trials", "pooled"),
        *[Variant("steps", str(s), "trajectory", steps=s) for s in steps_values],
        Variant("tied", "untied", "train", {"tied": False}),
        Variant("inputs", "poses+velocities", "train", inputs="velocities"),
        Variant("hidden", "64", "train", {"hidden_size": 64}),
        Variant("hidden", "128", "train", {"hidden_size": 128}),
        Variant("fps", "60", "train", downsample=2),
        Variant("fps", "30", "train", downsample=4),
        Variant("window", "25/25", "train", {"source_length": 25, "target_length": 25}),
        Variant("window", "100/25", "train", {"source_length": 100, "target_length": 25}),
        Variant("window", "50/10", "train", {"source_length": 50, "target_length": 10}),
        Variant("window", "50/50", "train", {"source_length": 50, "target_length": 50}),
        Variant("model", "aged-paper-joint", "train", {"model_type": "aged-paper-joint"}),
        # MSE plus a slow-feature term on the decoder states (trainers.slowness_loss)
        Variant("objective", "slowness-0.1", "train", {"slowness": 0.1}),
        Variant("objective", "slowness-1", "train", {"slowness": 1.0}),
        Variant("objective", "slowness-3", "train", {"slowness": 3.0}),
        # the candidate default: the slowness term at the default 1000 steps
        Variant("objective", "slowness-1@1000", "train", {"slowness": 1.0, "steps": 1000}),
        Variant("objective", "slowness-3@1000", "train", {"slowness": 3.0, "steps": 1000}),
        Variant("objective", "slowness-10@1000", "train", {"slowness": 10.0, "steps": 1000}),
        Variant("hidden", "512", "train", {"hidden_size": 512}),
        Variant("hidden", "1024", "train", {"hidden_size": 1024}, trials=("01",)),
    ]


def select_variants(all_variants: list[Variant], factors: str | None) -> list[Variant]:
    if not factors:
        return all_variants
    chosen = []
    wanted = [item.strip() for item in factors.split(",") if item.strip()]
    for variant in all_variants:
        for item in wanted:
            factor, _, value = item.partition("=")
            if variant.factor == factor and (not value or variant.value == value):
                chosen.append(variant)
                break
    if not any(v.factor == "default" for v in chosen):
        chosen.insert(0, all_variants[0])  # the reference cells always come along
    return chosen


def ablation_plan(
    all_variants: list[Variant], trials: list[str], seeds: list[int]
) -> Iterator[tuple[Variant, str, int]]:
    """Seed-major (a partial table covers every factor), GRU 1024 after everything else."""
    last = [v for v in all_variants if v.trials is not None]
    first = [v for v in all_variants if v.trials is None]
    for group in (first, last):
        for seed in seeds:
            for variant in group:
                for trial in trials:
                    if variant.trials is None or trial in variant.trials:
                        yield variant, trial, seed


def variant_source(source: Any, variant: Variant) -> Any:
    """The sequence a variant trains on (velocities added, frames downsampled)."""
    from mocap_seq2seq.motion.features import velocities

    frames, description = source.frames, dict(source.description)
    if variant.inputs == "velocities":
        frames = np.concatenate([frames, velocities(frames)], axis=1).astype(np.float32)
        description["inputs"] = "poses+velocities"
    if variant.downsample > 1:
        frames = np.ascontiguousarray(frames[:: variant.downsample])
        description["downsample"] = variant.downsample
    return dataclasses.replace(source, frames=frames, description=description)


def readout_states(run_dir: Path, frames: np.ndarray, readout: str) -> np.ndarray:
    """A frame's embedding read from a trained run in one of three ways."""
    from mocap_seq2seq.model import training
    from mocap_seq2seq.model.seq2seq import model_config, predict_poses_and_states
    from mocap_seq2seq.model.windows import tile_windows, windows_at

    model, normalization, _ = training.load_run(run_dir)
    config = model_config(model)
    normalized = normalization.transform(frames)
    tiling = tile_windows(normalized.shape[0], config["source_length"], config["target_length"])
    source = windows_at(normalized, tiling.starts, config["source_length"])
    _, window_states = predict_poses_and_states(model, source)
    if readout == "step":
        return window_states[tiling.window_of_frame, tiling.step_of_frame]
    if readout == "window-mean":
        return window_states.mean(axis=1)[tiling.window_of_frame]
    if readout == "window-all":
        return window_states.reshape(window_states.shape[0], -1)[tiling.window_of_frame]
    raise ValueError(readout)


def default_run(
    settings: Settings, source: Any, trial: str, seed: int, train_missing: bool
) -> tuple[Path, np.ndarray, dict[str, Any]] | None:
    run_dir = settings.default_runs / "subject86" / f"trial{trial}-seed{seed}"
    cached = load_cached_states(run_dir, source)
    if cached is None:
        if not train_missing:
            return None
        cached = cached_or_trained(source, settings.base_config(seed), run_dir)
    return run_dir, cached[0], cached[1]


def pooled_states(settings: Settings, trial: str, seed: int) -> tuple[np.ndarray, dict[str, Any]]:
    """States of ``trial`` under one model trained over all ten trials (same steps)."""
    from mocap_seq2seq.embedding import embed_frames
    from mocap_seq2seq.model import training

    run_dir = settings.lift_runs / "fit-all-trials" / f"all-seed{seed}"
    cache = run_dir / f"states-trial{trial}.npy"
    sources = {t: common.trial_loader(t)() for t in common.SUBJECT86_TRIALS}
    first = sources[common.SUBJECT86_TRIALS[0]]
    pooled = dataclasses.replace(
        first,
        name="subject 86, all trials",
        description={"kind": "all-trials", "trials": list(common.SUBJECT86_TRIALS)},
        frames=np.concatenate([s.frames for s in sources.values()]),
    )
    _, pooled_info = cached_or_trained(pooled, settings.base_config(seed), run_dir)
    if not cache.is_file():
        model, normalization, _ = training.load_run(run_dir)
        states, _ = embed_frames(model, normalization.transform(sources[trial].frames))
        common._save_npy(cache, states)
    info = dict(pooled_info)
    info["note"] = "one model for all ten trials: its training time is shared by them"
    return np.load(cache), info


def cached_or_trained(source: Any, config: Any, run_dir: Path) -> tuple[np.ndarray, dict]:
    """A finished cached run whose stored config matches ``config`` on the fields it stores
    (runs cached before the library added a field stay usable), else train/embed it."""
    cached = load_cached_states(run_dir, source)
    if cached is not None:
        stored = cached[1].get("train", {})
        wanted = dataclasses.asdict(config)
        if all(wanted.get(k) == v for k, v in stored.items()) and all(
            k in stored or k == "root_velocity" and not v for k, v in wanted.items()
        ):
            return cached
    got = common.trained_embedding(source, config, run_dir)
    return got.states, dict(got.info)


def cell_states(
    settings: Settings, variant: Variant, source: Any, trial: str, seed: int, train_missing: bool
) -> tuple[np.ndarray, dict[str, Any]] | None:
    """``(states, info)`` of one cell; info has train/embed seconds, forecast ratio, config."""
    if variant.kind in ("default", "readout"):
        got = default_run(settings, source, trial, seed, train_missing)
        if got is None:
            return None
        run_dir, states, info = got
        info = dict(info)
        if variant.kind == "readout":
            started = time.perf_counter()
            states = readout_states(run_dir, source.frames, variant.readout)
            info["embed_seconds"] = time.perf_counter() - started
        return states, info
    if variant.kind == "trajectory":
        got = trajectory_states(settings, source, trial, seed, variant.steps)
        if got is None:
            return None
        states, point = got
        config = settings.base_config(seed).replace(steps=variant.steps)
        return states, {
            "train_seconds": point["train_seconds"],
            "embed_seconds": math.nan,
            "forecast_ratio": point["forecast_ratio"],
            "train": dataclasses.asdict(config),
        }
    if variant.kind == "pooled":
        return pooled_states(settings, trial, seed)
    config = settings.base_config(seed).replace(**variant.changes)
    run_dir = settings.lift_runs / variant.folder / f"trial{trial}-seed{seed}"
    states, info = cached_or_trained(variant_source(source, variant), config, run_dir)
    if variant.downsample > 1:  # back to the full frame rate: each state covers its frames
        states = states[np.arange(source.frames.shape[0]) // variant.downsample]
    return states, dict(info)


def config_text(info: dict[str, Any], variant: Variant) -> str:
    train = info.get("train", {})
    parts = [
        f"GRU {train.get('hidden_size')}",
        f"{train.get('steps')} steps",
        f"{train.get('source_length')}/{train.get('target_length')}",
        "tied" if train.get("tied", True) else "untied",
        str(train.get("model_type")),
    ]
    if variant.inputs != "poses":
        parts.append(variant.inputs)
    if variant.downsample > 1:
        parts.append(f"every {variant.downsample}th frame")
    if variant.readout != "step":
        parts.append(f"read-out {variant.readout}")
    if variant.kind == "pooled":
        parts.append("one model over all trials")
    return "; ".join(parts)


def run_ablation(args: argparse.Namespace, settings: Settings) -> None:
    from mocap_seq2seq.monitor import clustering_score

    results = common.ResultsCSV(settings.ablation_csv, ABLATION_COLUMNS, ABLATION_KEY)
    clock = Clock(args.max_minutes)
    machine = common.machine_string()
    chosen = select_variants(variants(settings), args.factors)
    trials = parse_trials(args.trials) if args.trials else list(ABLATION_TRIALS)
    methods = [m.strip() for m in args.methods.split(",")] if args.methods else SEGMENTER_NAMES
    unknown = sorted(set(methods) - set(SEGMENTER_NAMES))
    if unknown:
        known = ",".join(SEGMENTER_NAMES)
        raise SystemExit(f"unknown --methods {','.join(unknown)}; known: {known}")
    common.log(
        f"ablation -> {settings.ablation_csv} ({len(results.keys)} rows there); "
        f"{len(chosen)} values, trials {','.join(trials)}, seeds {args.seeds}"
    )
    written, waiting = 0, []
    sources: dict[str, Any] = {}
    try:
        for variant, trial, seed in ablation_plan(chosen, trials, parse_ints(args.seeds)):
            base = {"factor": variant.factor, "value": variant.value, "trial": trial, "seed": seed}
            todo = [
                (m, k)
                for m, k in METHODS
                if m in methods and {**base, "method": m, "k_mode": k} not in results
            ]
            if not todo:
                continue
            clock.check()
            if trial not in sources:
                sources[trial] = common.trial_loader(trial)()
            source = sources[trial]
            common.log(f"cell {variant.factor}={variant.value} trial {trial} seed {seed}")
            got = cell_states(settings, variant, source, trial, seed, args.train_missing_defaults)
            if got is None:
                waiting.append(f"{variant.factor}={variant.value} trial{trial} seed{seed}")
                common.log("  its default run is not cached yet: skipped (rerun later)")
                continue
            states, info = got
            n95, pr = effective_dimension(states)
            monitor = clustering_score(states)
            common.log(
                f"  {states.shape[1]}-d, n95 {n95}, "
                f"train {common.format_seconds(info.get('train_seconds', math.nan))}, "
                f"forecast/zero-velocity {fmt(info.get('forecast_ratio', math.nan))}, "
                f"monitor {monitor:.3f}"
            )
            k, n_segments = common.oracle_counts(source.labels)
            for method, k_mode in todo:
                scores = score(source, states, method, k_mode, seed)
                row: dict[str, Any] = dict.fromkeys(ABLATION_COLUMNS, "")
                row.update(base, method=method, k_mode=k_mode)
                row.update(scores)
                row.update(
                    config=config_text(info, variant),
                    n_frames=source.frames.shape[0],
                    n_actions_true=k,
                    n_segments_true=n_segments,
                    dim=states.shape[1],
                    n95=n95,
                    participation_ratio=pr,
                    train_seconds=info.get("train_seconds", math.nan),
                    embed_seconds=info.get("embed_seconds", math.nan),
                    forecast_ratio=info.get("forecast_ratio", math.nan),
                    monitor=monitor,
                    machine=machine,
                    finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
                )
                if info.get("note") and not row["note"]:
                    row["note"] = info["note"]
                results.append(row)
                written += 1
                common.log(
                    f"  {method:6s} {k_mode:9s} acc {fmt(row['accuracy'])} ari {fmt(row['ari'])} "
                    f"K {row['n_clusters_pred']} ({row['segment_seconds']:.1f} s)"
                )
    except OutOfTime:
        common.log(f"--max-minutes {args.max_minutes} reached: stopping between cells.")
    if waiting:
        common.log(f"waiting for default runs: {', '.join(waiting)}")
    common.log(f"ablation: wrote {written} rows to {settings.ablation_csv}")


# ----------------------------------------------------------------------------- summarize


def _f(row: dict[str, str], column: str) -> float:
    return common.to_float(row.get(column, ""))


def _ms(values: list[float], digits: int = 2) -> str:
    mean, std, _ = common.mean_std(values)
    return common.format_mean_std(mean, std, digits)


def _signed(values: list[float], digits: int = 2) -> str:
    mean, std, n = common.mean_std(values)
    if n == 0:
        return "–"
    text = f"{mean:+.{digits}f}"
    return text + (f" ± {std:.{digits}f}" if math.isfinite(std) else "")


def _wilcoxon(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < 5 or all(v == 0 for v in finite):
        return math.nan
    from scipy.stats import wilcoxon

    return float(wilcoxon(finite).pvalue)


def _sort_sequences(names: set[str]) -> list[str]:
    return sorted(names, key=lambda name: (name.startswith("concat"), len(name), name))


def lift_section(rows: list[dict[str, str]], figures: Path) -> tuple[list[str], dict[str, Any]]:
    """Tables of part 1 and the numbers the conclusion quotes."""
    facts: dict[str, Any] = {}
    lines = ["## 1. Lift: decoder states vs raw poses\n"]
    if not rows:
        return lines + ["No rows yet: run `python bench/embedding_lift.py lift`.\n"], facts
    # value[(workload, sequence, seed, features, method, k_mode)] = row
    index = {tuple(r[c] for c in LIFT_KEY): r for r in rows}
    groups = [
        ("subject86", lambda s: s.startswith("trial"), "Subject 86 (case ii)"),
        ("actions", lambda s: not s.endswith("no-root"), "Case (i), root re-based"),
        ("actions", lambda s: s.endswith("no-root"), "Case (i), no root channels"),
    ]
    lines.append(
        "Features: `states` = decoder states of the trained default model (the cached runs of "
        "`bench/segmentation.py`); `raw` = z-scored poses; `pca-n95` = PCA of the raw poses with "
        "as many components as the states' effective dimension n95 (components holding 95 % of "
        "the states' variance); `pca-pr` = the same with the participation ratio of the states "
        "(rounded); `untrained` = decoder states of the same model, same seed, before training; "
        "`states+raw` = both side by side, each z-scored and scaled to equal total variance "
        "(kernel segmenter only). "
        "Lift = states − raw, paired per (sequence, seed). Per sequence: mean ± std over seeds; "
        "overall: mean ± std over sequences of the per-sequence means, `wins` = sequences where "
        "the states score higher, `p` = two-sided Wilcoxon signed-rank over sequences.\n"
    )
    for workload, belongs, title in groups:
        group = [r for r in rows if r["workload"] == workload and belongs(r["sequence"])]
        if not group:
            continue
        sequences = _sort_sequences({r["sequence"] for r in group})
        seeds = sorted({r["seed"] for r in group})
        n95 = [_f(r, "states_n95") for r in group if r["features"] == STATES]
        pr = [_f(r, "states_pr") for r in group if r["features"] == STATES]
        raw_dim = [_f(r, "dim") for r in group if r["features"] == RAW]
        lines.append(f"### {title}\n")
        lines.append(
            f"{len(sequences)} sequences, seeds {', '.join(seeds)}. Effective dimension of the "
            f"states: n95 {_ms(n95, 1)}, participation ratio {_ms(pr, 1)} (of "
            f"{int(_f(group[0], 'hidden_size') or 0)}); raw poses {_ms(raw_dim, 0)} channels.\n"
        )

        def per_sequence(
            feature: str,
            method: str,
            k_mode: str,
            column: str,
            workload: str = workload,
            sequences: list[str] = sequences,
            seeds: list[str] = seeds,
        ) -> dict[str, list[float]]:
            out: dict[str, list[float]] = defaultdict(list)
            for seq in sequences:
                for seed in seeds:
                    row = index.get((workload, seq, seed, feature, method, k_mode))
                    if row is not None:
                        out[seq].append(_f(row, column))
            return out

        def lift(
            a: str,
            b: str,
            method: str,
            k_mode: str,
            column: str,
            workload: str = workload,
            sequences: list[str] = sequences,
            seeds: list[str] = seeds,
        ) -> dict[str, list[float]]:
            out: dict[str, list[float]] = defaultdict(list)
            for seq in sequences:
                for seed in seeds:
                    ra = index.get((workload, seq, seed, a, method, k_mode))
                    rb = index.get((workload, seq, seed, b, method, k_mode))
                    if ra is not None and rb is not None:
                        out[seq].append(_f(ra, column) - _f(rb, column))
            return out

        def seq_means(values: dict[str, list[float]]) -> list[float]:
            return [common.mean_std(v)[0] for v in values.values() if v]

        overview = []
        for method, k_mode in METHODS:
            cells = [method, k_mode]
            for feature in FEATURES:
                cells.append(_ms(seq_means(per_sequence(feature, method, k_mode, "ari"))))
            for column in ("ari", "accuracy"):
                means = seq_means(lift(STATES, RAW, method, k_mode, column))
                wins = sum(m > 0 for m in means)
                p = _wilcoxon(means)
                cells += [
                    _signed(means),
                    f"{wins}/{len(means)}",
                    "–" if math.isnan(p) else f"{p:.3f}",
                ]
                facts[(title, method, k_mode, column)] = (
                    common.mean_std(means),
                    wins,
                    len(means),
                    p,
                )
            means_u = seq_means(lift(STATES, UNTRAINED, method, k_mode, "ari"))
            cells.append(_signed(means_u))
            facts[(title, method, k_mode, "ari-vs-untrained")] = common.mean_std(means_u)
            means_p = seq_means(lift(STATES, PCA95, method, k_mode, "ari"))
            cells.append(_signed(means_p))
            means_c = seq_means(lift(COMBINED, RAW, method, k_mode, "ari"))
            cells.append(_signed(means_c))
            facts[(title, method, k_mode, "combined-vs-raw")] = (
                common.mean_std(means_c),
                sum(m > 0 for m in means_c),
                len(means_c),
            )
            overview.append(cells)
        lines.append("ARI per features (mean ± std over sequences) and lifts:\n")
        lines.append(
            common.markdown_table(
                [
                    "segmenter",
                    "K",
                    "states",
                    "raw",
                    "pca-n95",
                    "pca-pr",
                    "untrained",
                    "states+raw",
                    "ΔARI states−raw",
                    "wins",
                    "p",
                    "Δacc states−raw",
                    "wins",
                    "p",
                    "ΔARI states−untrained",
                    "ΔARI states−pca-n95",
                    "ΔARI states+raw − raw",
                ],
                overview,
            )
        )
        lines.append("")
        for method, k_mode in METHODS:
            table = []
            ari = {f: per_sequence(f, method, k_mode, "ari") for f in FEATURES}
            acc = {f: per_sequence(f, method, k_mode, "accuracy") for f in (STATES, RAW)}
            d_ari = lift(STATES, RAW, method, k_mode, "ari")
            d_acc = lift(STATES, RAW, method, k_mode, "accuracy")
            for seq in sequences:
                table.append(
                    [
                        seq,
                        str(len(ari[STATES].get(seq, []))),
                        *[_ms(ari[f].get(seq, [])) for f in FEATURES],
                        _signed(d_ari.get(seq, [])),
                        _ms(acc[STATES].get(seq, [])),
                        _ms(acc[RAW].get(seq, [])),
                        _signed(d_acc.get(seq, [])),
                    ]
                )
            lines.append(f"<details><summary>{method}, {k_mode} K: per sequence</summary>\n")
            lines.append(
                common.markdown_table(
                    [
                        "sequence",
                        "seeds",
                        "ARI states",
                        "raw",
                        "pca-n95",
                        "pca-pr",
                        "untrained",
                        "states+raw",
                        "ΔARI",
                        "acc states",
                        "acc raw",
                        "Δacc",
                    ],
                    table,
                )
            )
            lines.append("\n</details>\n")
        if workload == "subject86":
            _lift_figure(sequences, lift, figures / "embedding_lift_ari.png")
            lines.append(f"![ARI lift per trial](figures/{'embedding_lift_ari.png'})\n")
    return lines, facts


def _lift_figure(
    sequences: list[str], lift: Callable[..., dict[str, list[float]]], path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    combos = [("kernel", ORACLE), ("kernel", AUTO), ("kmeans", ORACLE), ("paper", ORACLE)]
    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / len(combos)
    x = np.arange(len(sequences))
    for i, (method, k_mode) in enumerate(combos):
        values = lift(STATES, RAW, method, k_mode, "ari")
        means = [common.mean_std(values.get(s, []))[0] for s in sequences]
        stds = [common.mean_std(values.get(s, []))[1] for s in sequences]
        stds = [s if math.isfinite(s) else 0.0 for s in stds]
        ax.bar(
            x + (i - (len(combos) - 1) / 2) * width,
            means,
            width,
            yerr=stds,
            label=f"{method} {k_mode}",
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, [s.removeprefix("trial") for s in sequences])
    ax.set_xlabel("subject-86 trial")
    ax.set_ylabel("ARI(states) − ARI(raw poses)")
    ax.set_title("Embedding lift per trial (mean ± std over training seeds)")
    ax.legend(fontsize=8, ncol=4)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


ABLATION_SHOWN = (("kernel", ORACLE), ("kernel", AUTO), ("kmeans", ORACLE), ("paper", ORACLE))


def ablation_section(
    rows: list[dict[str, str]], settings: Settings
) -> tuple[list[str], dict[str, Any]]:
    facts: dict[str, Any] = {}
    lines = ["## 2. Ablation: what shapes the embedding\n"]
    if not rows:
        return lines + ["No rows yet: run `python bench/embedding_lift.py ablation`.\n"], facts
    index = {tuple(r[c] for c in ABLATION_KEY): r for r in rows}
    trials_core = set(ABLATION_TRIALS)
    lines.append(
        "Cells (factor, value, trial, seed) on trials 01, 11, 14; `default` is the cached default "
        "run (GRU 256, 2000 steps, 50/25, tied, seq2seq, 120 fps, poses, one model per trial, "
        "read-out = the decoder step that predicted the frame). ARI: mean ± std over cells; Δ: "
        "paired difference to the default cell of the same (trial, seed), mean ± std, and the "
        "number of pairs. `train`: mean training seconds of a model (GRU 1024: trial 01 only; "
        "`all-trials`: one model shared by the ten trials; `steps`: cumulative seconds of the "
        "trajectory runs). `monitor`: label-free score of the states.\n"
    )
    values_of: dict[str, list[str]] = defaultdict(list)
    for variant in variants(settings):
        if variant.value not in values_of[variant.factor]:
            values_of[variant.factor].append(variant.value)
    for factor, values in values_of.items():
        if factor == "default":
            continue
        if not any(r["factor"] == factor for r in rows):
            continue
        table = []
        for value in [None, *values]:
            f, v = ("default", "default") if value is None else (factor, value)
            cells_rows = [
                r
                for r in rows
                if r["factor"] == f and r["value"] == v and r["trial"] in trials_core
            ]
            if value is not None and not cells_rows:
                table.append([value, "0", *["–"] * (3 + 2 * len(ABLATION_SHOWN))])
                continue
            if value is None:
                # the reference: only cells that some value of this factor has too
                pairs = {(r["trial"], r["seed"]) for r in rows if r["factor"] == factor}
                cells_rows = [r for r in cells_rows if (r["trial"], r["seed"]) in pairs]
            cells = {(r["trial"], r["seed"]) for r in cells_rows}
            first = [r for r in cells_rows if r["method"] == "kernel" and r["k_mode"] == ORACLE]
            train = [_f(r, "train_seconds") for r in first]
            row = [
                (DEFAULT_VALUES[factor] + " (default)") if value is None else value,
                str(len(cells)),
                common.format_seconds(common.mean_std(train)[0]),
                _ms([_f(r, "monitor") for r in first]),
                _ms([_f(r, "forecast_ratio") for r in first]),
            ]
            for method, k_mode in ABLATION_SHOWN:
                sel = [r for r in cells_rows if r["method"] == method and r["k_mode"] == k_mode]
                row.append(_ms([_f(r, "ari") for r in sel]))
                if value is None:
                    row.append("")
                    continue
                diffs = []
                for r in sel:
                    ref = index.get(("default", "default", r["trial"], r["seed"], method, k_mode))
                    if ref is not None:
                        diffs.append(_f(r, "ari") - _f(ref, "ari"))
                row.append(f"{_signed(diffs)} ({len(diffs)})" if diffs else "–")
                facts[(factor, value, method, k_mode)] = (
                    common.mean_std(diffs),
                    common.mean_std(train)[0],
                )
            table.append(row)
        lines.append(f"### {factor}\n")
        header = ["value", "cells", "train", "monitor", "forecast ratio"]
        for method, k_mode in ABLATION_SHOWN:
            header += [f"ARI {method} {k_mode}", "Δ"]
        lines.append(common.markdown_table(header, table))
        lines.append("")
        if factor == "hidden":
            sizes = ", ".join(
                f"{h}: {weights_megabytes(h):.2f} MB"
                for h in sorted({int(DEFAULT_VALUES["hidden"])} | {int(v) for v in values})
            )
            lines.append(
                f"What size costs: weights of the model (float32, {SUBJECT86_CHANNELS} "
                f"channels) by hidden size, {sizes}.\n"
            )
    # confirmation on other trials
    extra = [r for r in rows if r["trial"] not in trials_core and r["factor"] != "default"]
    if extra:
        lines.append("### Confirmation on the other trials\n")
        table = []
        for f, v in sorted({(r["factor"], r["value"]) for r in extra}):
            sel = [r for r in rows if r["factor"] == f and r["value"] == v]
            row = [f"{f}={v}", str(len({(r["trial"], r["seed"]) for r in sel}))]
            for method, k_mode in ABLATION_SHOWN:
                diffs = []
                for r in sel:
                    if r["method"] == method and r["k_mode"] == k_mode:
                        ref = index.get(
                            ("default", "default", r["trial"], r["seed"], method, k_mode)
                        )
                        if ref is not None:
                            diffs.append(_f(r, "ari") - _f(ref, "ari"))
                row.append(f"{_signed(diffs)} ({len(diffs)})" if diffs else "–")
            table.append(row)
        lines.append(
            common.markdown_table(
                ["variant", "cells", *[f"ΔARI {m} {k}" for m, k in ABLATION_SHOWN]], table
            )
        )
        lines.append("")
    return lines, facts


#: Channels of the subject-86 poses the models of this study see.
SUBJECT86_CHANNELS = 62


def weights_megabytes(hidden_size: int, n_channels: int = SUBJECT86_CHANNELS) -> float:
    """Size of the predictor's weights in float32 MB, counted on the real Keras model."""
    from mocap_seq2seq.model import training

    config = dataclasses.replace(training.TrainConfig(), hidden_size=hidden_size)
    return training.initial_model(config, n_channels).count_params() * 4 / 1e6


#: Objectives trained at the default's 1000 steps on all ten trials: compared with plain
#: MSE at the same steps (the ``steps=1000`` cells) and with the raw poses (part 1).
OBJECTIVES_AT_1000 = ("slowness-1@1000", "slowness-3@1000", "slowness-10@1000")


def objective_section(
    ablation_rows: list[dict[str, str]], lift_rows: list[dict[str, str]]
) -> list[str]:
    """The slowness objectives against plain MSE at equal steps and against the raw poses."""
    ari = {
        (r["factor"], r["value"], r["trial"], r["seed"], r["k_mode"]): _f(r, "ari")
        for r in ablation_rows
        if r["method"] == "kernel"
    }
    raw = {
        (r["sequence"].removeprefix("trial"), r["k_mode"]): _f(r, "ari")
        for r in lift_rows
        if r["workload"] == "subject86" and r["features"] == RAW and r["method"] == "kernel"
    }
    table = []
    for value in OBJECTIVES_AT_1000:
        for k_mode in (ORACLE, AUTO):
            per_trial: dict[str, list[tuple[float, float]]] = defaultdict(list)
            for (factor, v, trial, seed, k), score in ari.items():
                if factor == "objective" and v == value and k == k_mode:
                    reference = ari.get(("steps", "1000", trial, seed, k_mode), math.nan)
                    per_trial[trial].append((score, reference))
            if not per_trial:
                continue
            trials = sorted(per_trial)
            new = [float(np.nanmean([a for a, _ in per_trial[t]])) for t in trials]
            mse = [float(np.nanmean([b for _, b in per_trial[t]])) for t in trials]
            poses = [raw.get((t, k_mode), math.nan) for t in trials]
            vs_mse = [a - b for a, b in zip(new, mse)]
            vs_raw = [a - b for a, b in zip(new, poses)]
            seeds = sorted({int(s) for (f, v, _, s, _) in ari if f == "objective" and v == value})
            table.append(
                [
                    value,
                    k_mode,
                    f"{len(trials)} × {len(seeds)}",
                    f"{np.mean(new):.2f}",
                    f"{np.nanmean(mse):.2f}",
                    f"{np.nanmean(poses):.2f}",
                    f"{_signed(vs_mse)} ({sum(d > 0 for d in vs_mse)}/{len(trials)}, "
                    f"p {_wilcoxon(vs_mse):.2f})",
                    f"{_signed(vs_raw)} ({sum(d > 0 for d in vs_raw)}/{len(trials)}, "
                    f"p {_wilcoxon(vs_raw):.2f})",
                ]
            )
    if not table:
        return []
    return [
        "### The slowness objective at the default's 1000 steps\n",
        "Kernel-segmenter ARI on the subject-86 trials, mean over trials of the mean over seeds; "
        "`MSE` = plain next-pose MSE at 1000 steps (the `steps=1000` cells, same seeds), `raw` "
        "= the raw poses (part 1). Δ: mean ± std over trials, trials where the objective "
        "scores higher, two-sided Wilcoxon p.\n",
        common.markdown_table(
            [
                "objective",
                "K",
                "trials × seeds",
                "ARI",
                "MSE",
                "raw",
                "Δ vs MSE (wins, p)",
                "Δ vs raw (wins, p)",
            ],
            table,
        ),
        "",
    ]


def monitor_section(rows: list[dict[str, str]], figures: Path) -> tuple[list[str], dict[str, Any]]:
    from scipy.stats import spearmanr

    facts: dict[str, Any] = {}
    lines = ["## 3. Is the label-free monitor a training-optimality signal?\n"]
    if not rows:
        return lines + ["No rows yet: run `python bench/embedding_lift.py monitor`.\n"], facts
    lines.append(
        "One run per (trial, seed) with the default config, checkpoints every 250 steps (step 0 "
        "= untrained). Monitor = best cosine silhouette of k-means (K = 2..8) on 1500 frames of "
        "the states (`mocap_seq2seq.monitor.clustering_score`). ρ = Spearman correlation across "
        "the checkpoints of one run between the monitor and a labelled score; `at best monitor` "
        "= kernel-oracle ARI at the checkpoint the monitor would pick, vs the best and the last "
        "checkpoint. ρ(forecast) = the same for the forecast ratio (lower is better, so a good "
        "predictor-quality signal gives a negative ρ).\n"
    )
    runs: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        runs[(r["trial"], r["seed"])].append(r)
    targets = [f"{m}_{k}_ari" for m, k in MONITOR_SEGMENTERS]
    table = []
    columns: dict[str, list[float]] = defaultdict(list)  # for the mean row
    for (trial, seed), run in sorted(runs.items()):
        run.sort(key=lambda r: int(r["step"]))
        monitor = np.array([_f(r, "monitor") for r in run])
        cells = [trial, seed, str(len(run)), run[-1]["step"]]
        for target in targets:
            y = np.array([_f(r, target) for r in run])
            ok = np.isfinite(monitor) & np.isfinite(y)
            rho = spearmanr(monitor[ok], y[ok]).statistic if ok.sum() >= 4 else math.nan
            cells.append("–" if not math.isfinite(rho) else f"{rho:+.2f}")
            facts[(trial, seed, target)] = rho
            columns[target].append(rho)
        y = np.array([_f(r, "kernel_oracle_ari") for r in run])
        trained = [i for i, r in enumerate(run) if int(r["step"]) > 0]
        if trained:
            pick = trained[int(np.nanargmax(monitor[trained]))]
            cells += [
                f"{y[pick]:.2f} (step {run[pick]['step']})",
                f"{np.nanmax(y):.2f}",
                f"{y[-1]:.2f}",
            ]
            columns["pick"].append(float(y[pick]))
            columns["best"].append(float(np.nanmax(y)))
            columns["last"].append(float(y[-1]))
        else:
            cells += ["–", "–", "–"]
        fr = np.array([_f(r, "forecast_ratio") for r in run])
        ok = np.isfinite(fr) & np.isfinite(y)
        rho = spearmanr(fr[ok], y[ok]).statistic if ok.sum() >= 4 else math.nan
        cells.append("–" if not math.isfinite(rho) else f"{rho:+.2f}")
        columns["forecast"].append(rho)
        table.append(cells)

    def mean(key: str, signed: bool) -> str:
        values = [v for v in columns[key] if math.isfinite(v)]
        return f"{np.mean(values):{'+' if signed else ''}.2f}" if values else "–"

    table.append(
        ["mean", "", "", "", *[mean(t, True) for t in targets]]
        + [mean("pick", False), mean("best", False), mean("last", False), mean("forecast", True)]
    )
    lines.append(
        common.markdown_table(
            [
                "trial",
                "seed",
                "checkpoints",
                "last step",
                *[f"ρ monitor vs ARI {m} {k}" for m, k in MONITOR_SEGMENTERS],
                "kernel-oracle ARI at best monitor",
                "best",
                "last",
                "ρ(forecast, kernel-oracle ARI)",
            ],
            table,
        )
    )
    lines.append("")
    _monitor_figure(runs, figures / "embedding_lift_monitor.png")
    lines.append("![monitor vs accuracy](figures/embedding_lift_monitor.png)\n")
    return lines, facts


def _monitor_figure(runs: dict[tuple[str, str], list[dict[str, str]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted(runs)
    fig, axes = plt.subplots(2, len(keys), figsize=(3.6 * len(keys), 6), squeeze=False)
    for column, key in enumerate(keys):
        run = sorted(runs[key], key=lambda r: int(r["step"]))
        steps = [int(r["step"]) for r in run]
        ax = axes[0, column]
        ax.plot(steps, [_f(r, "monitor") for r in run], "k-o", ms=3, label="monitor (silhouette)")
        for m, k in MONITOR_SEGMENTERS:
            ax.plot(steps, [_f(r, f"{m}_{k}_ari") for r in run], "-", label=f"ARI {m} {k}")
        ax.set_title(f"trial {key[0]} seed {key[1]}")
        ax.set_xlabel("training step")
        if column == 0:
            ax.set_ylabel("score")
            ax.legend(fontsize=7)
        ax = axes[1, column]
        x = [_f(r, "monitor") for r in run]
        y = [_f(r, "kernel_oracle_ari") for r in run]
        scatter = ax.scatter(x, y, c=steps, cmap="viridis", s=18)
        ax.set_xlabel("monitor")
        if column == 0:
            ax.set_ylabel("ARI kernel oracle")
        fig.colorbar(scatter, ax=ax, label="step")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def conclusion(
    lift_facts: dict[str, Any], ablation_facts: dict[str, Any], monitor_facts: dict[str, Any]
) -> list[str]:
    lines = ["## Conclusion (generated from the numbers above)\n"]
    title = "Subject 86 (case ii)"
    for method, k_mode in METHODS:
        got = lift_facts.get((title, method, k_mode, "ari"))
        if not got:
            continue
        (mean, std, n), wins, total, p = got
        untrained = lift_facts.get((title, method, k_mode, "ari-vs-untrained"), (math.nan,))[0]
        verdict = (
            "no measurable lift"
            if not (math.isfinite(p) and p < 0.05)
            else ("states better" if mean > 0 else "raw poses better")
        )
        lines.append(
            f"* subject 86, {method} {k_mode} K: ARI lift states − raw {mean:+.2f}"
            + (f" ± {std:.2f}" if math.isfinite(std) else "")
            + f" over {n} trials (states higher on {wins}/{total}"
            + (f", Wilcoxon p = {p:.3f}" if math.isfinite(p) else "")
            + f"): {verdict}; trained − untrained {untrained:+.2f}."
        )
        combined = lift_facts.get((title, method, k_mode, "combined-vs-raw"))
        if combined and combined[2]:
            (c_mean, _, _), c_wins, c_total = combined
            lines.append(
                f"  States and poses side by side: {c_mean:+.2f} ARI over the poses alone "
                f"(higher on {c_wins}/{c_total} trials)."
            )
    best = sorted(
        (
            (v[0][0], k)
            for k, v in ablation_facts.items()
            if k[2:] == ("kernel", ORACLE) and math.isfinite(v[0][0])
        ),
        reverse=True,
    )
    if best:
        top = ", ".join(f"{f}={v} ({d:+.2f})" for d, (f, v, _, _) in best[:3])
        worst = ", ".join(f"{f}={v} ({d:+.2f})" for d, (f, v, _, _) in best[-3:])
        lines.append(f"* ablation, kernel-oracle ΔARI vs default: best {top}; worst {worst}.")
    rhos = [v for k, v in monitor_facts.items() if k[2] == "kernel_oracle_ari" and math.isfinite(v)]
    if rhos:
        lines.append(
            "* monitor vs kernel-oracle ARI across checkpoints: Spearman ρ "
            + ", ".join(f"{r:+.2f}" for r in rhos)
            + f" (mean {np.mean(rhos):+.2f} over {len(rhos)} runs)."
        )
    lines.append("")
    return lines


def summarize(args: argparse.Namespace, settings: Settings) -> None:
    from mocap_seq2seq.atomic import write_text

    lift_rows = common.read_rows(settings.lift_csv)
    ablation_rows = common.read_rows(settings.ablation_csv)
    monitor_rows = common.read_rows(settings.monitor_csv)
    machines = sorted({r["machine"] for r in lift_rows + ablation_rows + monitor_rows})
    lines = [
        "# Embedding lift (issue 7)",
        "",
        "Written by `python bench/embedding_lift.py summarize` from "
        f"`{settings.lift_csv.name}` ({len(lift_rows)} rows), `{settings.ablation_csv.name}` "
        f"({len(ablation_rows)} rows) and `{settings.monitor_csv.name}` ({len(monitor_rows)} "
        "rows). Leakage-free: models train on the raw sequence; labels only score and, in "
        "`oracle` rows, give the true K (and the true number of segments to `kernel`). "
        "Segmenters: `kernel` (the toolkit's default: kernel change points on 10-frame block "
        "means, MMD clustering of the segments), `kmeans` (frames, no time), `paper` "
        "(agglomerative, cosine, single linkage; Su & Shlizerman). Automatic K: MMD threshold "
        "and BIC-like penalty (kernel), best silhouette (kmeans, paper).",
        "",
        "* machine: " + ("; ".join(machines) or "–"),
        "",
        "Reproduce (from the repository root; resumable, rows already present are skipped):",
        "",
        "```bash",
        "export OMP_NUM_THREADS=1 TF_CPP_MIN_LOG_LEVEL=2",
        "# the cached default runs that part 1 reads:",
        "python bench/segmentation.py run --workload all",
        "# part 1 (no training but the untrained control):",
        "nice -n 10 python bench/embedding_lift.py lift",
        "# part 3, then part 2 in chunks of two hours:",
        "nice -n 10 python bench/embedding_lift.py monitor --trials 01,11,14 --seeds 0",
        "nice -n 10 python bench/embedding_lift.py ablation --max-minutes 120",
        "# this file and the figures:",
        "python bench/embedding_lift.py summarize",
        "```",
        "",
    ]
    part1, lift_facts = lift_section(lift_rows, settings.figures)
    part2, ablation_facts = ablation_section(ablation_rows, settings)
    part3, monitor_facts = monitor_section(monitor_rows, settings.figures)
    lines += conclusion(lift_facts, ablation_facts, monitor_facts)
    lines += part1 + part2 + objective_section(ablation_rows, lift_rows) + part3
    notes = [r for r in lift_rows + ablation_rows if r.get("note", "").startswith("failed")]
    if notes:
        lines.append("## Failures\n")
        lines += [
            f"* {r.get('sequence') or r.get('trial')} {r['method']}: {r['note']}" for r in notes
        ]
        lines.append("")
    text = "\n".join(lines) + "\n"
    if settings.figures != FIGURES:  # smoke: figure links point at the scratch folder
        text = text.replace("](figures/", f"]({settings.figures.name}/")
    settings.summary_md.parent.mkdir(parents=True, exist_ok=True)
    write_text(settings.summary_md, text)
    print(text, flush=True)
    common.log(f"wrote {settings.summary_md}")


# ----------------------------------------------------------------------------- CLI


def parse_ints(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def parse_trials(text: str) -> list[str]:
    if text in ("all", ""):
        return list(common.SUBJECT86_TRIALS)
    return [f"{int(t):02d}" for t in text.split(",") if t.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    lift = commands.add_parser("lift", help="part 1: states vs raw / PCA / untrained")
    lift.add_argument("--trials", default="all")
    lift.add_argument("--concat-seeds", default=",".join(map(str, CONCAT_SEEDS)))
    ablation = commands.add_parser("ablation", help="part 2: what shapes the embedding")
    ablation.add_argument("--trials", default=None, help="default 01,11,14; 'all' to confirm")
    ablation.add_argument(
        "--factors", default=None, help="e.g. hidden,tied or hidden=512 (default: all)"
    )
    ablation.add_argument(
        "--methods",
        default=None,
        help="segmenters to score, e.g. kernel (default: kernel,kmeans,paper; paper is slow)",
    )
    ablation.add_argument(
        "--train-missing-defaults",
        action="store_true",
        help="train a default run that bench/segmentation.py has not cached yet (same cache)",
    )
    monitor = commands.add_parser("monitor", help="part 3: monitor vs labelled scores")
    monitor.add_argument("--trials", default=",".join(ABLATION_TRIALS))
    monitor.add_argument("--max-steps", type=int, default=None)
    summary = commands.add_parser("summarize", help="write bench/results/embedding_lift.md")
    for sub in (lift, ablation, monitor):
        sub.add_argument("--seeds", default=",".join(map(str, SEEDS)))
        sub.add_argument("--max-minutes", type=float, default=None)
    for sub in (lift, ablation, monitor, summary):
        # Smoke tests: train this many steps, read/write scratch files only (hidden).
        sub.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    settings = Settings.make(args.steps)
    if settings.smoke and args.command == "ablation":
        args.train_missing_defaults = True
    {"lift": run_lift, "ablation": run_ablation, "monitor": run_monitor, "summarize": summarize}[
        args.command
    ](args, settings)


if __name__ == "__main__":
    main()
