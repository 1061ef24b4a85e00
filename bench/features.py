"""States, poses, or both: which features should the default segmentation use?

Usage (from the repository root; resumable, rerun the same command after a kill)::

    OMP_NUM_THREADS=1 nice -n 5 python bench/features.py            # train, score, summarise
    OMP_NUM_THREADS=1 python bench/features.py --stage score       # only score what is trained

Three feature sets, each segmented by the default kernel segmenter in oracle
and automatic K:

* ``poses``: the raw poses, z-scored per channel (the baseline);
* ``states``: a seed ensemble of three default models (``PRESETS['default']``),
  each member's states scaled to unit total standard deviation and concatenated
  (``mocap_seq2seq.combination.scaled_concatenation``, the ``embed`` default);
* ``both``: the mean of two Gaussian kernels, one on those states and one on the
  poses, each with its own median width
  (``KernelSegmenter(feature_groups=(states width, poses width))``);
* ``both-each``: the mean of four kernels, one per member and one on the poses
  (the poses get a quarter of the say).

The choice is made on subject 86 with repeat A (seeds 0, 1, 2) and reported
held out on repeat B (seeds 3, 4, 5) and on the ten case-(i) concatenations of
``bench/segmentation.py`` (seeds 0, 1, 2, trained here). Subject 86's members are
the cached models of ``bench/ensembles.py`` (run it first, or its cache is
filled here through the same function); case (i)'s are trained into
``bench/results/scratch/features/`` (gitignored).
"""

from __future__ import annotations

import argparse
import sys
import time

import common
import numpy as np

RESULTS_CSV = common.RESULTS_DIR / "features.csv"
RESULTS_MD = common.RESULTS_DIR / "features.md"
KEY = ("workload", "sequence", "repeat", "variant", "k_mode")
COLUMNS = (
    *KEY,
    "ari",
    "accuracy",
    "n_clusters_pred",
    "n_actions_true",
    "segment_seconds",
    "machine",
    "finished",
)
VARIANTS = ("poses", "states", "both", "both-each")
REPEATS = {"A": (0, 1, 2), "B": (3, 4, 5)}
CONCAT_SEEDS = tuple(range(10))
ORACLE, AUTO = "oracle", "automatic"


def subject86_members(trial: str, seeds: tuple[int, ...]) -> list[np.ndarray] | None:
    """The cached states of bench/ensembles.py's models of ``trial``, or None if missing."""
    members = [common.default_states("subject86", trial, seed) for seed in seeds]
    return None if any(m is None for m in members) else [m.states for m in members]


def concat_members(concat: int, source, seeds: tuple[int, ...], train: bool):
    """States of the default models of case-(i) concatenation ``concat`` (trained once, cached)."""
    members = [
        common.default_states("actions", concat, seed, source if train else None) for seed in seeds
    ]
    return None if any(m is None for m in members) else [m.states for m in members]


def score(results, machine, workload, sequence, repeat, source, members) -> None:
    from mocap_seq2seq.combination import scaled_concatenation
    from mocap_seq2seq.pipeline import oracle_parameters
    from mocap_seq2seq.segment.metrics import adjusted_rand, hungarian_accuracy
    from mocap_seq2seq.segment.segmentation import KernelSegmenter

    poses = common.raw_features(source.frames)
    states = scaled_concatenation(members)
    widths = [member.shape[1] for member in members]
    inputs = {
        "poses": (poses, None),
        "states": (states, None),
        "both": (np.hstack([states, poses]), (states.shape[1], poses.shape[1])),
        "both-each": (np.hstack([states, poses]), (*widths, poses.shape[1])),
    }
    n_actions, _ = common.oracle_counts(source.labels)
    rate = source.frame_rate or 120.0
    for variant, (features, groups) in inputs.items():
        for k_mode in (ORACLE, AUTO):
            base = {
                "workload": workload,
                "sequence": sequence,
                "repeat": "" if variant == "poses" else repeat,
                "variant": variant,
                "k_mode": k_mode,
            }
            if base in results:
                continue
            parameters = oracle_parameters(source.labels, "kernel") if k_mode == ORACLE else {}
            started = time.perf_counter()
            fitted = KernelSegmenter(frame_rate=rate, feature_groups=groups, **parameters).fit(
                features
            )
            predicted = fitted.frame_labels_
            ari = adjusted_rand(source.labels, predicted)
            results.append(
                {
                    **base,
                    "ari": ari,
                    "accuracy": hungarian_accuracy(source.labels, predicted),
                    "n_clusters_pred": fitted.n_clusters_,
                    "n_actions_true": n_actions,
                    "segment_seconds": time.perf_counter() - started,
                    "machine": machine,
                    "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
                }
            )
            common.log(f"{workload} {sequence} {base['repeat']} {variant} {k_mode}: ARI {ari:.3f}")


def run_all(train: bool, concats: tuple[int, ...]) -> None:
    from mocap_seq2seq.data.sources import trial_source

    results = common.ResultsCSV(RESULTS_CSV, COLUMNS, KEY)
    machine = common.machine_string()
    for trial in common.SUBJECT86_TRIALS:
        source = trial_source(trial)
        for repeat, seeds in REPEATS.items():
            members = subject86_members(trial, seeds)
            if members is None:
                common.log(f"subject 86 trial {trial} repeat {repeat}: run bench/ensembles.py")
                continue
            score(results, machine, "subject86", trial, repeat, source, members)
    for concat in concats:
        source = common.concat_loader(concat, False)()
        members = concat_members(concat, source, REPEATS["A"], train)
        if members is None:
            continue
        score(results, machine, "case_i", f"concat{concat}", "A", source, members)


def write_summary(command: str) -> None:
    from mocap_seq2seq.atomic import write_text

    rows = common.read_rows(RESULTS_CSV)
    ari: dict[tuple[str, ...], float] = {
        (r["workload"], r["sequence"], r["repeat"], r["variant"], r["k_mode"]): common.to_float(
            r["ari"]
        )
        for r in rows
    }
    lines = [
        "# States, poses, or both",
        "",
        "Written by `bench/features.py` from `features.csv`; machine: "
        f"{rows[0]['machine'] if rows else '?'}. Default kernel segmenter throughout;",
        "'states' = a three-seed ensemble of default models, scaled and concatenated;",
        "'both' = mean of a kernel on those states and a kernel on the poses (own widths);",
        "'both-each' = mean of one kernel per member and one on the poses.",
        "Chosen on subject 86 repeat A; repeat B and case (i) are held out.",
        "",
        f"Command: `{command}`",
        "",
    ]
    groups = [
        ("subject 86, repeat A (choice)", "subject86", "A"),
        ("subject 86, repeat B (held out)", "subject86", "B"),
        ("case (i), repeat A (held out)", "case_i", "A"),
    ]
    header = ["workload", "K", *VARIANTS, "both beats poses", "states beat poses"]
    table = []
    for label, workload, repeat in groups:
        sequences = sorted({r["sequence"] for r in rows if r["workload"] == workload})
        for k_mode in (ORACLE, AUTO):
            means, wins = [], {}
            complete = [
                s
                for s in sequences
                if all(
                    (workload, s, "" if v == "poses" else repeat, v, k_mode) in ari
                    for v in VARIANTS
                )
            ]
            for variant in VARIANTS:
                values = [
                    ari[(workload, s, "" if variant == "poses" else repeat, variant, k_mode)]
                    for s in complete
                ]
                means.append(f"{np.mean(values):.3f}" if values else "–")
            for variant in ("both", "states"):
                wins[variant] = sum(
                    ari[(workload, s, repeat, variant, k_mode)]
                    > ari[(workload, s, "", "poses", k_mode)]
                    for s in complete
                )
            table.append(
                [
                    label,
                    k_mode,
                    *means,
                    f"{wins['both']} of {len(complete)}",
                    f"{wins['states']} of {len(complete)}",
                ]
            )
    lines.append(common.markdown_table(header, table))
    lines += ["", "## ARI per sequence", ""]
    for label, workload, repeat in groups:
        sequences = sorted({r["sequence"] for r in rows if r["workload"] == workload})
        lines += [f"### {label}", ""]
        body = []
        for s in sequences:
            cells = []
            for k_mode in (ORACLE, AUTO):
                for variant in VARIANTS:
                    value = ari.get(
                        (workload, s, "" if variant == "poses" else repeat, variant, k_mode)
                    )
                    cells.append("–" if value is None else f"{value:.2f}")
            body.append([s, *cells])
        columns = [f"{v} {'or' if k == ORACLE else 'au'}" for k in (ORACLE, AUTO) for v in VARIANTS]
        lines += [common.markdown_table(["sequence", *columns], body), ""]
    write_text(RESULTS_MD, "\n".join(lines) + "\n")
    common.log(f"wrote {RESULTS_MD}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=("all", "score"), default="all")
    parser.add_argument("--concats", nargs="+", type=int, default=list(CONCAT_SEEDS))
    args = parser.parse_args(argv)
    run_all(train=args.stage == "all", concats=tuple(args.concats))
    write_summary(" ".join(["python", "bench/features.py", *(argv or sys.argv[1:])]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
