"""Seed ensembles on subject 86: one model per seed, or N models combined?

Usage (from the repository root; resumable, rerun the same command after a kill)::

    OMP_NUM_THREADS=1 nice -n 5 python bench/ensembles.py            # train, then score
    OMP_NUM_THREADS=1 python bench/ensembles.py --stage train       # only train and embed
    OMP_NUM_THREADS=1 python bench/ensembles.py --stage score       # only score cached states

Models: the default config (``PRESETS['default']``: GRU 256, 1000 steps,
slowness 3) with seeds 0..5 on each of the ten subject-86 trials. The seed-0
models are the shipped ``pretrained/trial-NN`` (same config, checked); seeds
1..5 are trained into ``bench/results/scratch/ensembles/`` (gitignored), each
run folder with its decoder states cached as ``states.npy``. Seeds are trained
in the order 1, 2 (all trials), then 3, 4, 5, so that the first repeat is
complete early.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass

import common
import numpy as np

ENSEMBLE_DIR = common.DEFAULT_RUNS["subject86"]
SEEDS = (0, 1, 2, 3, 4, 5)
#: Two independent repeats of a three-model ensemble.
REPEATS = {"A": (0, 1, 2), "B": (3, 4, 5)}


def train_all(trials: tuple[str, ...], seeds: tuple[int, ...]) -> None:
    from mocap_seq2seq.data.sources import trial_source

    order = [s for s in (0, 1, 2) if s in seeds] + [s for s in seeds if s not in (0, 1, 2)]
    sources = {}
    for seed in order:
        for trial in trials:
            if trial not in sources:
                sources[trial] = trial_source(trial)
            common.default_states("subject86", trial, seed, sources[trial])
            common.log(f"trial {trial} seed {seed}: states ready")


# ----------------------------------------------------------------------------- scoring

RESULTS_CSV = common.RESULTS_DIR / "ensembles.csv"
RESULTS_MD = common.RESULTS_DIR / "ensembles.md"
KEY = ("trial", "variant", "k_mode")
COLUMNS = (
    *KEY,
    "family",
    "repeat",
    "seeds",
    "ari",
    "accuracy",
    "n_clusters_pred",
    "n_segments_pred",
    "n_actions_true",
    "n_segments_true",
    "dim",
    "mean_agreement",
    "agreement_right",
    "agreement_wrong",
    "segment_seconds",
    "machine",
    "finished",
)
ORACLE, AUTO = "oracle", "automatic"
#: How N members' states become one segmentation (the rows of the comparison).
FAMILIES = ("single", "concat", "kernel-mean", "consensus")


def cached_states(trial: str, seed: int) -> np.ndarray | None:
    """A trained member's states if the training stage has produced them, else None."""
    cached = common.default_states("subject86", trial, seed)
    return None if cached is None else cached.states


def _segment(features, labels, oracle: bool, frame_rate: float, groups=None):
    from mocap_seq2seq.pipeline import oracle_parameters
    from mocap_seq2seq.segment.segmentation import KernelSegmenter

    parameters = oracle_parameters(labels, "kernel") if oracle else {}
    segmenter = KernelSegmenter(frame_rate=frame_rate, feature_groups=groups, **parameters)
    return segmenter.fit(features)


def _consensus_features(member_labels: list[np.ndarray]) -> np.ndarray:
    """Members' frame labels as one-hot columns, each member scaled to norm 1/sqrt(N).

    A Gaussian kernel on these is a monotone function of the co-association
    (the fraction of members that put two frames in one cluster), since
    ``|x - y|^2 = 2 (1 - co-association)``: the kernel segmenter on them is
    a consensus clustering of the N segmentations.
    """
    columns = []
    for labels in member_labels:
        values = np.unique(labels)
        columns.append((labels[:, None] == values[None, :]).astype(np.float32))
    return np.hstack(columns) / np.sqrt(len(member_labels))


@dataclass(frozen=True)
class Cell:
    """One (trial, K mode) of the scoring: what every row of it shares."""

    trial: str
    k_mode: str
    labels: np.ndarray
    frame_rate: float
    n_actions: int
    n_segments: int
    machine: str

    @property
    def oracle(self) -> bool:
        return self.k_mode == ORACLE


def score_row(
    results: common.ResultsCSV,
    cell: Cell,
    variant: str,
    family: str,
    repeat: str,
    seeds: tuple[int, ...],
    features: np.ndarray,
    groups: tuple[int, ...] | None = None,
    agreement: np.ndarray | None = None,
) -> None:
    """Segment ``features`` and append the row, unless it is already in the CSV.

    With the members' per-frame ``agreement``, the row also says its mean on the
    frames the segmentation labels right and wrong (clusters matched to actions
    one to one, Hungarian): does the label-free agreement flag the errors?
    """
    from mocap_seq2seq.segment.metrics import adjusted_rand, hungarian_accuracy

    base = {"trial": cell.trial, "variant": variant, "k_mode": cell.k_mode}
    if base in results:
        return
    started = time.perf_counter()
    fitted = _segment(features, cell.labels, cell.oracle, cell.frame_rate, groups)
    seconds = time.perf_counter() - started
    predicted = fitted.frame_labels_
    ari = adjusted_rand(cell.labels, predicted)
    right = _matched(cell.labels, predicted)
    results.append(
        {
            **base,
            "family": family,
            "repeat": repeat,
            "seeds": "+".join(str(seed) for seed in seeds),
            "ari": ari,
            "accuracy": hungarian_accuracy(cell.labels, predicted),
            "n_clusters_pred": fitted.n_clusters_,
            "n_segments_pred": fitted.n_segments_,
            "n_actions_true": cell.n_actions,
            "n_segments_true": cell.n_segments,
            "dim": features.shape[1],
            "mean_agreement": None if agreement is None else float(agreement.mean()),
            "agreement_right": _mean_where(agreement, right),
            "agreement_wrong": _mean_where(agreement, ~right),
            "segment_seconds": seconds,
            "machine": cell.machine,
            "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
    )
    common.log(f"trial {cell.trial} {cell.k_mode} {variant}: ARI {ari:.3f}")


def _matched(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Frames whose cluster is matched (one to one, most frames in common) to their action."""
    from scipy.optimize import linear_sum_assignment

    true_values, true_index = np.unique(labels, return_inverse=True)
    pred_values, pred_index = np.unique(predicted, return_inverse=True)
    counts = np.zeros((pred_values.size, true_values.size))
    np.add.at(counts, (pred_index, true_index), 1)
    rows, columns = linear_sum_assignment(-counts)
    action_of = np.full(pred_values.size, -1)
    action_of[rows] = columns
    return action_of[pred_index] == true_index


def _mean_where(values: np.ndarray | None, mask: np.ndarray) -> float | None:
    if values is None or not mask.any():
        return None
    return float(values[mask].mean())


def score_all(trials: tuple[str, ...]) -> None:
    """Score every variant whose members are trained; rerun later to add the rest."""
    from mocap_seq2seq.combination import member_agreement, scaled_concatenation
    from mocap_seq2seq.data.sources import trial_source

    results = common.ResultsCSV(RESULTS_CSV, COLUMNS, KEY)
    machine = common.machine_string()
    for trial in trials:
        source = trial_source(trial)
        n_actions, n_segments = common.oracle_counts(source.labels)
        states = {seed: cached_states(trial, seed) for seed in SEEDS}
        poses = common.raw_features(source.frames)
        agreements: dict[str, np.ndarray] = {}
        for k_mode in (ORACLE, AUTO):
            cell = Cell(
                trial, k_mode, source.labels, source.frame_rate, n_actions, n_segments, machine
            )
            score_row(results, cell, "poses", "poses", "", (), poses)
            for seed in SEEDS:
                if states[seed] is not None:
                    score_row(results, cell, f"seed-{seed}", "single", "", (seed,), states[seed])
            member_labels: dict[int, np.ndarray] = {}
            for repeat, seeds in REPEATS.items():
                members = [states[seed] for seed in seeds]
                if any(member is None for member in members):
                    continue
                combined = scaled_concatenation(members)
                widths = tuple(member.shape[1] for member in members)
                concat = f"concat-{repeat}"
                if {"trial": trial, "variant": concat, "k_mode": k_mode} not in results:
                    if repeat not in agreements:
                        agreements[repeat] = member_agreement(members)
                    score_row(
                        results,
                        cell,
                        concat,
                        "concat",
                        repeat,
                        seeds,
                        combined,
                        agreement=agreements[repeat],
                    )
                score_row(
                    results,
                    cell,
                    f"kernel-mean-{repeat}",
                    "kernel-mean",
                    repeat,
                    seeds,
                    combined,
                    widths,
                )
                variant = f"consensus-{repeat}"
                if {"trial": trial, "variant": variant, "k_mode": k_mode} in results:
                    continue
                for seed in seeds:
                    if seed not in member_labels:
                        member_labels[seed] = _segment(
                            states[seed], source.labels, cell.oracle, source.frame_rate
                        ).frame_labels_
                consensus = _consensus_features([member_labels[seed] for seed in seeds])
                score_row(results, cell, variant, "consensus", repeat, seeds, consensus)


# ----------------------------------------------------------------------------- summary


def write_summary(command: str) -> None:
    from mocap_seq2seq.atomic import write_text

    rows = common.read_rows(RESULTS_CSV)
    ari = {(r["trial"], r["variant"], r["k_mode"]): common.to_float(r["ari"]) for r in rows}
    trials = sorted({r["trial"] for r in rows})
    agreement = {
        (r["trial"], r["variant"]): common.to_float(r["mean_agreement"])
        for r in rows
        if r["mean_agreement"]
    }
    lines = [
        "# Seed ensembles on subject 86",
        "",
        "Written by `bench/ensembles.py` from `ensembles.csv`. The default config",
        "(`PRESETS['default']`: GRU 256, 1000 steps, slowness 3), seeds 0..5 on each",
        "subject-86 trial; seed 0 is the shipped `pretrained/trial-NN`. Every row is the",
        "toolkit's kernel segmenter (leakage-free); oracle = told the true numbers of",
        "actions and segments, automatic = told neither. Ensembles of three: repeat A =",
        "seeds 0-2, repeat B = seeds 3-5 (independent models).",
        "",
        "* **concat**: each member's states scaled by its total standard deviation, concatenated",
        "  (one Gaussian kernel on the concatenation = the product of the members' kernels).",
        "* **kernel-mean**: the mean of the members' Gaussian kernels, each with its own median",
        "  width (`KernelSegmenter(feature_groups=...)`).",
        "* **consensus**: each member segmented alone (same K mode), then the kernel segmenter",
        "  on the members' one-hot labels: a kernel of their co-association matrix.",
        "",
        f"Machine: {common.machine_string()}. Command: `{command}` (with",
        "`OMP_NUM_THREADS=1 nice -n 5`). Trials scored: "
        + (", ".join(trials) if trials else "none")
        + ".",
        "",
    ]
    header = [
        "features",
        "K",
        "mean ARI",
        "repeat A",
        "repeat B",
        "max spread A-B per trial",
        "trials with spread <= 0.05",
        "wins vs poses (A, B)",
    ]
    table = []
    for k_mode in (ORACLE, AUTO):
        pose = {t: ari.get((t, "poses", k_mode), float("nan")) for t in trials}
        table.append(
            ["raw poses", k_mode, f"{np.nanmean(list(pose.values())):.3f}", "", "", "", "", ""]
        )
        pairs = {"single": [(f"seed-{a}", f"seed-{b}") for a, b in zip((0, 1, 2), (3, 4, 5))]}
        for family in ("concat", "kernel-mean", "consensus"):
            pairs[family] = [(f"{family}-A", f"{family}-B")]
        for family, variant_pairs in pairs.items():
            means_a, means_b, spreads, within, wins_a, wins_b, complete = [], [], [], 0, 0, 0, 0
            for first, second in variant_pairs:
                for trial in trials:
                    a = ari.get((trial, first, k_mode), float("nan"))
                    b = ari.get((trial, second, k_mode), float("nan"))
                    means_a.append(a)
                    means_b.append(b)
                    if np.isfinite(a) and np.isfinite(b):
                        complete += 1
                        spreads.append(abs(a - b))
                        within += abs(a - b) <= 0.05
                    wins_a += bool(a > pose[trial])
                    wins_b += bool(b > pose[trial])
            n_pairs = len(variant_pairs)
            label = "single model (pairs 0/3, 1/4, 2/5)" if family == "single" else family
            table.append(
                [
                    label,
                    k_mode,
                    f"{np.nanmean(means_a + means_b):.3f}" if complete else "–",
                    f"{np.nanmean(means_a):.3f}" if np.isfinite(means_a).any() else "–",
                    f"{np.nanmean(means_b):.3f}" if np.isfinite(means_b).any() else "–",
                    f"{max(spreads):.3f}" if spreads else "–",
                    f"{within}/{complete}" if complete else "–",
                    f"{wins_a / n_pairs:.1f}, {wins_b / n_pairs:.1f} of {len(trials)}"
                    if complete
                    else "–",
                ]
            )
    lines.append(common.markdown_table(header, table))
    seconds = []
    for info_path in sorted(ENSEMBLE_DIR.glob("trial-*/seed-*/" + common.BENCH_RUN_FILE)):
        info = json.loads(info_path.read_text())
        if not info.get("resumed") and np.isfinite(info.get("train_seconds", np.nan)):
            seconds.append(float(info["train_seconds"]))
    if seconds:
        lines += [
            "",
            f"Training cost: {np.mean(seconds):.0f} s a model on average ({len(seconds)} models "
            f"trained here, seeds 1-5, one core each, beside other jobs on the machine), so "
            f"an ensemble of three costs about {3 * np.mean(seconds) / 60:.1f} minutes a trial.",
        ]
    lines += [
        "",
        "For the single models, repeat A is seeds 0, 1, 2 and repeat B seeds 3, 4, 5: the",
        "spread and win columns pair seed 0 with 3, 1 with 4, 2 with 5 (win counts averaged",
        "over the three pairs).",
        "",
        "## ARI per trial",
        "",
    ]
    variants = ["poses", *[f"seed-{s}" for s in SEEDS]]
    variants += [f"{f}-{r}" for f in ("concat", "kernel-mean", "consensus") for r in REPEATS]
    for k_mode in (ORACLE, AUTO):
        lines += [f"### {k_mode}", ""]
        body = [
            [
                t,
                *[_cell(ari.get((t, v, k_mode), float("nan"))) for v in variants],
                *[_cell(agreement.get((t, f"concat-{r}"), float("nan"))) for r in REPEATS],
            ]
            for t in trials
        ]
        agreement_columns = [f"agreement {r}" for r in REPEATS]
        lines += [common.markdown_table(["trial", *variants, *agreement_columns], body), ""]
    for k_mode in (ORACLE, AUTO):
        pairs = [
            (common.to_float(r["agreement_right"]), common.to_float(r["agreement_wrong"]))
            for r in rows
            if r["family"] == "concat" and r["k_mode"] == k_mode
        ]
        pairs = [(a, b) for a, b in pairs if np.isfinite(a) and np.isfinite(b)]
        if pairs:
            right, wrong = np.mean(pairs, axis=0)
            higher = sum(a > b for a, b in pairs)
            lines.append(
                f"Agreement, {k_mode} K, concat rows: {right:.2f} on the frames labelled right, "
                f"{wrong:.2f} on those labelled wrong (higher on the right ones in {higher} "
                f"of {len(pairs)} rows with errors)."
            )
    lines += [
        "",
        "`agreement A/B`: the mean over frames of the members' per-frame agreement",
        "(`mocap_seq2seq.combination.member_agreement`, label-free) in that repeat.",
        "",
    ]
    write_text(RESULTS_MD, "\n".join(lines) + "\n")
    common.log(f"wrote {RESULTS_MD}")


def _cell(value: float) -> str:
    return f"{value:.2f}" if np.isfinite(value) else "–"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=("train", "score", "all"), default="all")
    parser.add_argument("--trials", nargs="+", default=list(common.SUBJECT86_TRIALS))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    args = parser.parse_args(argv)
    trials, seeds = tuple(args.trials), tuple(args.seeds)
    if args.stage in ("train", "all"):
        train_all(trials, seeds)
    if args.stage in ("score", "all"):
        score_all(trials)
        write_summary(command=" ".join(["python", "bench/ensembles.py", *(argv or sys.argv[1:])]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
