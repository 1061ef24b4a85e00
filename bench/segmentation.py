"""Segmentation benchmark (issue 5): toolkit vs the paper's clustering vs raw-pose baselines.

Leakage-free everywhere: models train on the raw sequence, segmenters see
decoder states or raw normalised poses only; labels are read to score and,
in "oracle" rows, to tell a method the true number of actions K (and of
segments where it uses one). "automatic" rows are told neither.

Workloads:

* ``subject86``: the 10 subject-86 trials with frames, training seeds 0, 1, 2;
* ``actions``: case (i), 10 seeded concatenations (seeds 0..9; K = 3..8 distinct
  actions drawn from the seed, K + 2 pieces, root position re-based), variant
  ``rebased-root``, and variant ``no-root`` (root channels removed) for the
  kernel-on-raw rows.

Models: the toolkit's default (``PRESETS['default']``), one per (sequence,
training seed), shared with bench/ensembles.py and bench/features.py
(``common.default_states``). Rows, per (sequence, training seed): the kernel
segmenter (the toolkit) on the decoder states and on states + poses, the
paper's single-linkage clustering and k-means on the states; per sequence, the
kernel segmenter on the three seeds' ensemble (alone and with the poses); the
kernel segmenter, k-means on frames, a Gaussian HMM and ruptures KernelCPD +
Ward on raw poses. Seedless rows (ensembles, raw-pose kernel, ruptures) are
computed once per sequence and have an empty seed.

    python bench/segmentation.py run [--workload subject86|actions|all] [--seeds 0,1,2]
                                     [--trials 01,03] [--concat-seeds 0,1] [--max-minutes N]
    python bench/segmentation.py summarize

Results are appended, row by row, to ``bench/results/segmentation.csv``; a
rerun skips rows already there and reuses the trained runs cached under
``bench/results/scratch/{ensembles,features}/<sequence>/seed-<k>/`` (with the
frame states as ``states.npy``), so a killed run continues where it stopped.
The earlier table (plain-MSE 2000-step models) is kept as
``bench/results/segmentation_mse2000.{csv,md}``.
``summarize`` writes ``bench/results/segmentation.md``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402 - bench/ is put on the path just above

RESULTS_CSV = common.RESULTS_DIR / "segmentation.csv"
SUMMARY_MD = common.RESULTS_DIR / "segmentation.md"
SMOKE_CSV = common.SCRATCH_DIR / "segmentation-smoke.csv"
SMOKE_MD = common.SCRATCH_DIR / "segmentation-smoke.md"

TRAINING_SEEDS = (0, 1, 2)
CONCAT_SEEDS = tuple(range(10))
STATES, RAW = "decoder states", "raw poses"
#: A model's states with the poses (one kernel each, ``--features both``), and a
#: three-seed ensemble's scaled, concatenated states (``--ensemble 3``) alone or with the poses.
BOTH, ENSEMBLE, ENSEMBLE_BOTH = "states + poses", "ensemble states", "ensemble + poses"
ORACLE, AUTO = "oracle", "automatic"
FULL, REBASED, NO_ROOT = "full", "rebased-root", "no-root"

#: Raw-pose baselines: PCA components of the HMM, downsampling and minimum
#: segment length of ruptures (those of the kernel segmenter's defaults).
HMM_COMPONENTS = 20
HMM_ITERATIONS = 100
RUPTURES_STEP = 10
RUPTURES_MIN_FRAMES = 60

KEY = ("workload", "sequence", "variant", "seed", "method", "features", "k_mode")
COLUMNS = (
    *KEY,
    "protocol",
    "detail",
    "n_frames",
    "n_actions_true",
    "n_segments_true",
    "n_clusters_pred",
    "n_segments_pred",
    "accuracy",
    "paper_accuracy",
    "ari",
    "ami",
    "nmi",
    "v_measure",
    "boundary_precision",
    "boundary_recall",
    "boundary_f1",
    "segment_seconds",
    "train_seconds",
    "embed_seconds",
    "train_steps",
    "hidden_size",
    "backend",
    "machine",
    "finished",
    "note",
)
SCORES = ("accuracy", "paper_accuracy", "ari", "ami", "nmi", "v_measure")


# ----------------------------------------------------------------------------- methods


@dataclass(frozen=True)
class Method:
    """One benchmark row type: a segmenter on some features with an oracle or automatic K."""

    name: str
    features: str
    k_mode: str
    seeded: bool  # depends on a seed (training seed for states, random_state for raw)
    no_root: bool  # also run on the no-root variant of case (i)
    #: (X, labels, seed, groups=, frame_rate=) -> labels
    run: Callable[..., np.ndarray]


def _library(method: str, oracle: bool) -> Callable[..., np.ndarray]:
    """A segmenter of the toolkit as the pipeline runs it (oracle: told the true counts)."""
    from mocap_seq2seq.pipeline import segment_frames

    def run(
        X: np.ndarray,
        labels: np.ndarray,
        seed: int,
        groups: tuple[int, ...] | None = None,
        frame_rate: float | None = None,
    ) -> np.ndarray:
        return segment_frames(
            X,
            method,
            labels=labels,
            oracle=oracle,
            random_state=seed,
            groups=groups,
            frame_rate=frame_rate,
        )

    return run


def hmm_labels(X: np.ndarray, labels: np.ndarray, seed: int, **_: Any) -> np.ndarray:
    """Gaussian HMM, K diagonal-covariance states (K told), on the first principal components."""
    from hmmlearn.hmm import GaussianHMM
    from sklearn.decomposition import PCA

    k, _ = common.oracle_counts(labels)
    reduced = PCA(n_components=min(HMM_COMPONENTS, X.shape[1]), random_state=seed).fit_transform(X)
    model = GaussianHMM(
        n_components=k, covariance_type="diag", n_iter=HMM_ITERATIONS, random_state=seed
    )
    model.fit(reduced)
    return model.predict(reduced)


def ruptures_labels(X: np.ndarray, labels: np.ndarray, seed: int, **_: Any) -> np.ndarray:
    """ruptures KernelCPD (rbf) with the true number of breakpoints, then Ward on segment means."""
    import ruptures
    from sklearn.cluster import AgglomerativeClustering

    from mocap_seq2seq.segment.segmentation import block_means

    k, n_segments = common.oracle_counts(labels)
    n_frames = X.shape[0]
    points = block_means(X, RUPTURES_STEP)
    min_size = max(2, RUPTURES_MIN_FRAMES // RUPTURES_STEP)
    n_bkps = min(n_segments - 1, points.shape[0] // min_size - 1)
    detector = ruptures.KernelCPD(kernel="rbf", min_size=min_size).fit(points)
    ends = np.asarray(detector.predict(n_bkps=n_bkps) if n_bkps > 0 else [points.shape[0]])
    starts = np.concatenate([[0], ends[:-1]])
    means = np.stack([points[a:b].mean(axis=0) for a, b in zip(starts, ends)])
    if k >= means.shape[0]:
        segment_labels = np.arange(means.shape[0])
    else:
        segment_labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(means)
    return np.repeat(np.repeat(segment_labels, ends - starts), RUPTURES_STEP)[:n_frames]


def methods() -> list[Method]:
    """Every row type, in the order of the tables.

    The no-root variant of case (i) is kept for the raw poses only: it was the
    diagnosis of the oracle rule fixed in issue 16 (bench/oracle_vs_automatic.py),
    and training thirty more models for it would not change a default.
    """
    return [
        Method("kernel", ENSEMBLE, ORACLE, False, False, _library("kernel", True)),
        Method("kernel", ENSEMBLE, AUTO, False, False, _library("kernel", False)),
        Method("kernel", ENSEMBLE_BOTH, ORACLE, False, False, _library("kernel", True)),
        Method("kernel", ENSEMBLE_BOTH, AUTO, False, False, _library("kernel", False)),
        Method("kernel", STATES, ORACLE, True, False, _library("kernel", True)),
        Method("kernel", STATES, AUTO, True, False, _library("kernel", False)),
        Method("kernel", BOTH, ORACLE, True, False, _library("kernel", True)),
        Method("kernel", BOTH, AUTO, True, False, _library("kernel", False)),
        Method("paper", STATES, ORACLE, True, False, _library("paper", True)),
        Method("paper", STATES, AUTO, True, False, _library("paper", False)),
        Method("kmeans", STATES, ORACLE, True, False, _library("kmeans", True)),
        Method("kmeans", STATES, AUTO, True, False, _library("kmeans", False)),
        Method("kernel", RAW, ORACLE, False, True, _library("kernel", True)),
        Method("kernel", RAW, AUTO, False, True, _library("kernel", False)),
        Method("kmeans", RAW, ORACLE, True, False, _library("kmeans", True)),
        Method("kmeans", RAW, AUTO, True, False, _library("kmeans", False)),
        Method("hmm", RAW, ORACLE, True, False, hmm_labels),
        Method("ruptures", RAW, ORACLE, False, False, ruptures_labels),
    ]


# ----------------------------------------------------------------------------- sequences


@dataclass(frozen=True)
class Job:
    """One (sequence, variant, training seed) of the plan."""

    workload: str
    sequence: str
    variant: str
    seed: int
    load: Callable[[], Any]  # -> SequenceSource


def plan(workload: str, seeds: list[int], trials: list[str], concats: list[int]) -> Iterator[Job]:
    """Jobs in the order of the brief: subject 86 seed 0, seeds 1-2, case (i) seed 0, ..."""
    if workload in ("subject86", "all"):
        for seed in seeds:
            for trial in trials:
                yield Job("subject86", f"trial{trial}", FULL, seed, common.trial_loader(trial))
    if workload in ("actions", "all"):
        first, rest = seeds[:1], seeds[1:]
        for group in (first, rest):
            for seed in group:
                for variant in (REBASED, NO_ROOT):
                    for concat in concats:
                        yield Job(
                            "actions",
                            f"concat{concat}",
                            variant,
                            seed,
                            common.concat_loader(concat, variant == NO_ROOT),
                        )


def job_methods(job: Job) -> list[Method]:
    return [m for m in methods() if job.variant != NO_ROOT or m.no_root]


def row_key(job: Job, method: Method) -> dict[str, Any]:
    return {
        "workload": job.workload,
        "sequence": job.sequence,
        "variant": job.variant,
        "seed": job.seed if method.seeded else "",
        "method": method.name,
        "features": method.features,
        "k_mode": method.k_mode,
    }


# ----------------------------------------------------------------------------- run


class OutOfTime(Exception):
    pass


def model_states(
    job: Job, seed: int, source: Any, config: Any, smoke_dir: Path | None
) -> common.CachedEmbedding:
    """States of the default model of ``job``'s sequence with ``seed``, trained once.

    The models are the benchmarks' shared default-config runs
    (:func:`common.default_states`: bench/ensembles.py and bench/features.py
    train the same ones); a smoke run trains its short models apart.
    """
    if smoke_dir is not None:
        run_dir = smoke_dir / job.workload / f"{job.sequence}-seed{seed}"
        return common.trained_embedding(source, config.replace(seed=seed), run_dir)
    index = job.sequence.removeprefix("trial").removeprefix("concat")
    cached = common.default_states(job.workload, index, seed, source)
    assert cached is not None  # a source is given: trained if missing
    return cached


def run(args: argparse.Namespace) -> None:
    from mocap_seq2seq.combination import scaled_concatenation
    from mocap_seq2seq.model.training import PRESETS
    from mocap_seq2seq.segment.evaluation import evaluate_labels

    smoke = args.steps is not None
    csv_path = SMOKE_CSV if smoke else RESULTS_CSV
    smoke_dir = common.SCRATCH_DIR / f"runs-smoke-{args.steps}" if smoke else None
    # The toolkit's default model (GRU 256, 1000 steps, slowness 3); the table of
    # plain-MSE 2000-step models that this replaced is bench/results/segmentation_mse2000.md.
    config = PRESETS["default"] if not smoke else PRESETS["default"].replace(steps=args.steps)
    ensemble_seeds = TRAINING_SEEDS
    results = common.ResultsCSV(csv_path, COLUMNS, KEY)
    machine, backend = common.machine_string(), common.keras_backend()
    deadline = time.monotonic() + 60 * args.max_minutes if args.max_minutes else math.inf
    seeds = [int(s) for s in args.seeds.split(",")]
    trials = args.trials.split(",")
    concats = [int(s) for s in args.concat_seeds.split(",")]
    common.log(
        f"segmentation benchmark -> {csv_path} ({len(results.keys)} rows already there); "
        f"{machine}; backend {backend}; {config.steps} steps, GRU {config.hidden_size}"
    )

    def check_time() -> None:
        if time.monotonic() > deadline:
            raise OutOfTime

    written = 0
    started = time.monotonic()
    try:
        for job in plan(args.workload, seeds, trials, concats):
            todo = [m for m in job_methods(job) if row_key(job, m) not in results]
            if not todo:
                continue
            check_time()
            source = job.load()
            common.log(
                f"{job.workload} {job.sequence} {job.variant} seed {job.seed}: {source.name}"
            )
            n_actions, n_segments = common.oracle_counts(source.labels)
            # feature set -> (frames' features, widths of their groups or None)
            features: dict[str, tuple[np.ndarray, tuple[int, ...] | None]] = {}
            needed = {m.features for m in todo}
            poses = common.raw_features(source.frames)
            features[RAW] = (poses, None)
            cached = None
            if needed & {STATES, BOTH}:
                cached = model_states(job, job.seed, source, config, smoke_dir)
                states = cached.states
                features[STATES] = (states, None)
                features[BOTH] = (
                    np.hstack([states, poses]).astype(np.float32),
                    (states.shape[1], poses.shape[1]),
                )
                common.log(
                    f"  model: train {cached.train_seconds:.0f} s, "
                    f"embed {cached.embed_seconds:.1f} s, "
                    f"forecast/zero-velocity {cached.info.get('forecast_ratio', math.nan):.3f}"
                )
            if needed & {ENSEMBLE, ENSEMBLE_BOTH}:
                members = [
                    model_states(job, seed, source, config, smoke_dir).states
                    for seed in ensemble_seeds
                ]
                combined = scaled_concatenation(members)
                features[ENSEMBLE] = (combined, None)
                features[ENSEMBLE_BOTH] = (
                    np.hstack([combined, poses]).astype(np.float32),
                    (combined.shape[1], poses.shape[1]),
                )
            rate = source.frame_rate
            for method in todo:
                check_time()
                X, groups = features[method.features]
                note = ""
                t0 = time.perf_counter()
                try:
                    labels = method.run(X, source.labels, job.seed, groups=groups, frame_rate=rate)
                except Exception as error:  # noqa: BLE001 - a failed baseline is a row too
                    labels, note = None, f"failed: {type(error).__name__}: {error}"[:200]
                seconds = time.perf_counter() - t0
                row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
                row.update(row_key(job, method))
                row.update(
                    protocol="leakage-free",
                    detail=source.name,
                    n_frames=source.frames.shape[0],
                    n_actions_true=n_actions,
                    n_segments_true=n_segments,
                    segment_seconds=seconds,
                    backend=backend if method.features != RAW else "",
                    machine=machine,
                    finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
                    note=note,
                )
                if method.features in (STATES, BOTH) and cached is not None:
                    row.update(
                        train_seconds=cached.train_seconds,
                        embed_seconds=cached.embed_seconds,
                        train_steps=config.steps,
                        hidden_size=config.hidden_size,
                    )
                if labels is not None:
                    evaluation = evaluate_labels(
                        source.labels,
                        labels,
                        source.tolerance_windows,
                        sequence=job.sequence,
                        method=method.name,
                        features=method.features,
                        k_mode=method.k_mode,
                    )
                    row.update(evaluation.scores)
                    row.update(
                        n_clusters_pred=evaluation.n_clusters_pred,
                        n_segments_pred=evaluation.n_segments_pred,
                        boundary_precision=evaluation.boundary_precision,
                        boundary_recall=evaluation.boundary_recall,
                        boundary_f1=evaluation.boundary_f1,
                    )
                else:
                    row.update(dict.fromkeys(SCORES, math.nan))
                results.append(row)
                written += 1
                common.log(
                    f"  {method.name:8s} {method.features:14s} {method.k_mode:9s} "
                    f"acc {to_text(row['accuracy'])} ari {to_text(row['ari'])} "
                    f"F1 {to_text(row['boundary_f1'])} K {row['n_clusters_pred']} "
                    f"({seconds:.1f} s){' ' + note if note else ''}"
                )
    except OutOfTime:
        common.log(f"--max-minutes {args.max_minutes} reached: stopping between rows.")
    common.log(
        f"wrote {written} rows in {common.format_seconds(time.monotonic() - started)} to {csv_path}"
    )


def to_text(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


# ----------------------------------------------------------------------------- summarize

ROW_ORDER = [(m.name, m.features, m.k_mode) for m in methods()]
LABELS = {
    ("kernel", ENSEMBLE): "kernel (toolkit)",
    ("kernel", ENSEMBLE_BOTH): "kernel (toolkit)",
    ("kernel", STATES): "kernel (toolkit)",
    ("kernel", BOTH): "kernel (toolkit)",
    ("paper", STATES): "paper",
    ("kmeans", STATES): "k-means",
    ("kernel", RAW): "kernel",
    ("kmeans", RAW): "k-means",
    ("hmm", RAW): "HMM",
    ("ruptures", RAW): "ruptures",
}
LEGEND = (
    "Methods: `kernel` = the toolkit's KernelSegmenter (kernel change points on 10-frame "
    "block means, then MMD average-linkage clustering of segments); `paper` = "
    "agglomerative cosine single linkage on frames (Su & Shlizerman); `k-means` = k-means on "
    "frames; `HMM` = hmmlearn GaussianHMM, K diagonal states, on the first "
    f"{HMM_COMPONENTS} principal components; `ruptures` = ruptures KernelCPD (rbf) with the "
    "true number of breakpoints on 10-frame block means, then Ward clustering of segment "
    "means into K. `states` = decoder states of the toolkit model; `raw poses` = per-channel "
    "z-scored poses; `ensemble` = the states of the three seeds' models, each scaled to unit "
    "total standard deviation and concatenated (what `mocap embed` makes of an `--ensemble 3` "
    "run); `+ poses` = one Gaussian kernel on those states and one on the poses, each with its "
    "own median width, averaged (`--features both`). Automatic K: silhouette (k-means, paper) "
    "or MMD threshold and BIC-like penalty (kernel)."
)
FEATURE_NAMES = {
    ENSEMBLE: "ensemble",
    ENSEMBLE_BOTH: "ensemble + poses",
    STATES: "states",
    BOTH: "states + poses",
    RAW: "raw poses",
}
GROUPS = [
    ("subject86", FULL, "Subject 86 (case ii)"),
    ("actions", REBASED, "Case (i) concatenations, root position re-based"),
    ("actions", NO_ROOT, "Case (i) concatenations, without root channels"),
]


def _sequence_means(rows: list[dict[str, str]], column: str) -> dict[str, float]:
    """Per sequence, the mean of ``column`` over seeds."""
    by_sequence: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        by_sequence[row["sequence"]].append(common.to_float(row[column]))
    return {seq: common.mean_std(values)[0] for seq, values in by_sequence.items()}


def _over_sequences(rows: list[dict[str, str]], column: str) -> tuple[float, float]:
    """Mean over sequences of the per-sequence seed means, and the spread over seeds.

    The spread is the standard deviation, over training seeds, of the mean over
    sequences, counting only seeds that cover every sequence the method has
    rows for (none for seedless methods).
    """
    means = _sequence_means(rows, column)
    mean = common.mean_std(means.values())[0]
    sequences = set(means)
    by_seed: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows:
        if row["seed"] != "":
            by_seed[row["seed"]][row["sequence"]] = common.to_float(row[column])
    complete = [
        common.mean_std(values.values())[0]
        for values in by_seed.values()
        if set(values) == sequences
    ]
    spread = common.mean_std(complete)[1] if len(complete) > 1 else math.nan
    return mean, spread


def _method_rows(rows: list[dict[str, str]]) -> dict[tuple[str, str, str], list[dict[str, str]]]:
    grouped: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        grouped[(row["method"], row["features"], row["k_mode"])].append(row)
    return {key: grouped[key] for key in ROW_ORDER if key in grouped}


def _label(key: tuple[str, str, str]) -> tuple[str, str, str]:
    method, features, k_mode = key
    return LABELS.get((method, features), method), FEATURE_NAMES[features], k_mode


def _sort_sequences(names: set[str]) -> list[str]:
    return sorted(names, key=lambda name: (len(name), name))


def summary_tables(rows: list[dict[str, str]]) -> list[str]:
    parts = []
    for workload, variant, title in GROUPS:
        group = [r for r in rows if r["workload"] == workload and r["variant"] == variant]
        if not group:
            continue
        sequences = _sort_sequences({r["sequence"] for r in group})
        seeds = sorted({r["seed"] for r in group if r["seed"] != ""})
        # A run in progress: average only over sequences that every method has reached.
        expected = {(r["method"], r["features"], r["k_mode"]) for r in group}
        present: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
        for r in group:
            present[r["sequence"]].add((r["method"], r["features"], r["k_mode"]))
        complete = {seq for seq in sequences if present[seq] == expected}
        parts.append(f"## {title}\n")
        parts.append(
            f"{len(complete)} sequences with every method ({len(sequences)} started), "
            f"training seeds {', '.join(seeds) or '–'}. "
            "Mean over sequences of the per-sequence mean over seeds; ± is the standard "
            "deviation over seeds of the mean over sequences (seeds covering every sequence "
            "only). `clusters`: mean number of clusters found (true: "
            f"{_true_k(group)}). `s`: segmenter seconds per sequence. `> poses`: sequences "
            "on which the row's ARI is above the kernel segmenter's on the raw poses in the "
            "same K mode.\n"
        )
        table = []
        by_method = _method_rows([r for r in group if r["sequence"] in complete])
        for key, method_rows in by_method.items():
            method, features, k_mode = _label(key)
            cells = [method, features, k_mode]
            for column in ("accuracy", "ari", "boundary_f1"):
                cells.append(common.format_mean_std(*_over_sequences(method_rows, column)))
            clusters = common.mean_std(_sequence_means(method_rows, "n_clusters_pred").values())
            seconds = common.mean_std(_sequence_means(method_rows, "segment_seconds").values())
            cells += [f"{clusters[0]:.1f}", f"{seconds[0]:.2f}", str(len(method_rows))]
            cells.append(_beats_poses(key, method_rows, by_method))
            table.append(cells)
        parts.append(
            common.markdown_table(
                [
                    "method",
                    "features",
                    "K",
                    "acc",
                    "ARI",
                    "boundary F1",
                    "clusters",
                    "s",
                    "rows",
                    "> poses",
                ],
                table,
            )
        )
        for column, name in (("ari", "ARI"), ("accuracy", "Accuracy")):
            parts.append(f"\n{name} per sequence (mean ± std over seeds):\n")
            table = []
            for key, method_rows in _method_rows(group).items():
                method, features, k_mode = _label(key)
                cells = [f"{method} · {features} · {k_mode}"]
                for sequence in sequences:
                    values = [
                        common.to_float(r[column]) for r in method_rows if r["sequence"] == sequence
                    ]
                    mean, std, _ = common.mean_std(values)
                    cells.append(common.format_mean_std(mean, std))
                table.append(cells)
            parts.append(common.markdown_table(["method", *sequences], table))
        if workload == "actions":
            details = {r["sequence"]: (r["detail"], r["n_actions_true"]) for r in group}
            parts.append("\nSequences:\n")
            parts += [f"* {seq}: K = {details[seq][1]}, {details[seq][0]}" for seq in sequences]
        parts.append("")
    return parts


def _beats_poses(
    key: tuple[str, str, str],
    rows: list[dict[str, str]],
    by_method: dict[tuple[str, str, str], list[dict[str, str]]],
) -> str:
    """On how many sequences the row's ARI (mean over seeds) is above the kernel
    segmenter's on the raw poses in the same K mode (issue 19's "8 of 10")."""
    method, features, k_mode = key
    baseline = by_method.get(("kernel", RAW, k_mode))
    if method != "kernel" or features == RAW or baseline is None:
        return ""
    ours, theirs = _sequence_means(rows, "ari"), _sequence_means(baseline, "ari")
    shared = set(ours) & set(theirs)
    return f"{sum(ours[s] > theirs[s] for s in shared)}/{len(shared)}"


def _true_k(rows: list[dict[str, str]]) -> str:
    per_sequence = {r["sequence"]: common.to_float(r["n_actions_true"]) for r in rows}
    return f"{common.mean_std(per_sequence.values())[0]:.1f}"


def summarize(args: argparse.Namespace) -> None:
    smoke = args.steps is not None
    csv_path, md_path = (SMOKE_CSV, SMOKE_MD) if smoke else (RESULTS_CSV, SUMMARY_MD)
    rows = common.read_rows(csv_path)
    if not rows:
        raise SystemExit(f"No rows in {csv_path}: run `python bench/segmentation.py run` first.")
    models: dict[tuple[str, str, str, str], tuple[float, float]] = {}
    for row in rows:
        if row["features"] == STATES:
            key = (row["workload"], row["sequence"], row["variant"], row["seed"])
            models[key] = (
                common.to_float(row["train_seconds"]),
                common.to_float(row["embed_seconds"]),
            )
    segment_total = sum(
        s for s in (common.to_float(r["segment_seconds"]) for r in rows) if math.isfinite(s)
    )
    train_total = sum(t for t, _ in models.values() if math.isfinite(t))
    embed_total = sum(e for _, e in models.values() if math.isfinite(e))
    steps = sorted({r["train_steps"] for r in rows if r["train_steps"]})
    hidden = sorted({r["hidden_size"] for r in rows if r["hidden_size"]})
    lines = [
        "# Segmentation benchmark (issue 5; rerun with the default models for issues 16 and 19)",
        "",
        "Written by `python bench/segmentation.py summarize` from "
        f"`{csv_path.relative_to(common.BENCH_DIR.parent)}` ({len(rows)} rows). Leakage-free "
        "protocol: models train on the raw sequence; labels are used only to score and, in "
        "`oracle` rows, to give the true number of actions K (and the true number of segments "
        "to the kernel segmenter and ruptures); `automatic` rows get neither. "
        f"Toolkit model: `PRESETS['default']` (GRU {', '.join(hidden) or '?'}, "
        f"{', '.join(steps) or '?'} steps, slowness 3), training seeds 0, 1, 2, the models "
        "bench/ensembles.py and bench/features.py share (subject 86's seed 0 is the shipped "
        "single model's states, whose training time is not counted below). The table of the "
        "earlier plain-MSE 2000-step models: `bench/results/segmentation_mse2000.md`.",
        "",
        LEGEND,
        "",
        "* machine: " + "; ".join(sorted({r["machine"] for r in rows})),
        "* Keras backend: " + ", ".join(sorted({r["backend"] for r in rows if r["backend"]})),
        f"* {len(models)} trained models: training {common.format_seconds(train_total)} "
        f"(mean {common.format_seconds(train_total / max(len(models), 1))} a model), "
        f"embedding {common.format_seconds(embed_total)}; segmenters "
        f"{common.format_seconds(segment_total)}; total "
        f"{common.format_seconds(train_total + embed_total + segment_total)}",
        "",
    ]
    lines += summary_tables(rows)
    failed = [r for r in rows if r["note"]]
    if failed:
        lines.append("## Notes\n")
        lines += [
            f"* {r['workload']} {r['sequence']} seed {r['seed']} {r['method']}: {r['note']}"
            for r in failed
        ]
        lines.append("")
    md_path.parent.mkdir(parents=True, exist_ok=True)
    from mocap_seq2seq.atomic import write_text

    write_text(md_path, "\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)
    common.log(f"wrote {md_path}")


# ----------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="compute the missing rows")
    run_parser.add_argument("--workload", choices=("subject86", "actions", "all"), default="all")
    run_parser.add_argument("--seeds", default=",".join(map(str, TRAINING_SEEDS)))
    run_parser.add_argument("--trials", default=",".join(common.SUBJECT86_TRIALS))
    run_parser.add_argument(
        "--concat-seeds",
        default=",".join(map(str, CONCAT_SEEDS)),
        help="case-(i) concatenation seeds",
    )
    run_parser.add_argument(
        "--max-minutes", type=float, default=None, help="stop cleanly between rows after this"
    )
    summary_parser = commands.add_parser("summarize", help="write bench/results/segmentation.md")
    for sub in (run_parser, summary_parser):
        # Smoke tests: train this many steps, write to scratch files (hidden).
        sub.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.command == "run":
        run(args)
    else:
        summarize(args)


if __name__ == "__main__":
    main()
