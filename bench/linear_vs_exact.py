"""Linear vs exact change-point search (issue 15) on the real workloads.

``KernelSegmenter(search="exact")`` against ``search="linear"`` (the
linear-time search of ``segment/kernel_linear.py``, which ``search="auto"``
takes above 2,500 blocks) on sequences short enough for the exact search:

* ``subject86``: the ten subject-86 trials with frames;
* ``case (i)``: the ten seeded concatenations of the benchmarks (seeds 0..9,
  root position re-based, ``common.concat_loader``);
* ``long``: ten sequences of 24,000 frames (2,400 blocks, just below where
  ``search="auto"`` switches to the linear search) built as ``bench/scale.py``
  builds its sequences (the subject-86 trials repeated with noise), seeds 0..9.
  The trials and concatenations have 400-1,400 blocks, where the linear
  search's 300 landmarks and 1,500 candidates cover much of the sequence;
  these are where its approximations bite.

Features are raw normalised poses (``common.raw_features``), as
``bench/scale.py`` segments; no model is involved. Each sequence is segmented
with both searches in turn (interleaved), under oracle K (told
``pipeline.oracle_parameters``: the true numbers of actions and segments) and
automatic K (told neither); every other parameter is the segmenter's default.
The goal of the issue: linear ARI no more than 0.01 below exact, in the mean
over each workload's sequences.

    python bench/linear_vs_exact.py run [--workload subject86|actions|long|all]
    python bench/linear_vs_exact.py summarize

Rows are appended to ``bench/results/linear_vs_exact.csv`` (a rerun skips
those already there); ``summarize`` writes ``bench/results/linear_vs_exact.md``.
The wall time counts the segmenter's ``fit`` only; ``load`` is the 1-minute
load average when the row started (the machine is shared).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402 - bench/ is put on the path just above

RESULTS_CSV = common.RESULTS_DIR / "linear_vs_exact.csv"
SUMMARY_MD = common.RESULTS_DIR / "linear_vs_exact.md"

SEARCHES = ("exact", "linear")
ORACLE, AUTO = "oracle", "automatic"
WORKLOADS = {"subject86": "subject 86", "actions": "case (i)", "long": "24,000 frames"}
LONG_FRAMES = 24_000
LONG_SEEDS = range(10)
#: Largest mean shortfall of the linear search's ARI the issue accepts.
GOAL = 0.01
#: What the rows alone do not say, found by looking at them (kept with the table).
NOTES = (
    "Subject 86, automatic K, trial 14 (-0.110): both searches find",
    "the same five segments; the average-linkage merge of the last segment into the",
    "first cluster happens at MMD 0.50008 with the exact kernel and 0.49926 with the",
    "feature map, either side of the 0.5 threshold. A knife edge of the threshold, not",
    "a worse segmentation.",
    "",
    "Case (i), oracle K, concat3 (-0.145) and concat4 (-0.114): a worse segmentation.",
    "Both are A B C B A with a 300-400-frame walk as C; the exact search finds all four",
    "change points within 10 frames, the linear search puts the short piece 800 and",
    "1,400 frames early (concat3: 5,980-7,350 for 6,774-7,118). Since the forced merges",
    "go by kernel cost (issue 16) the exact search scores 0.998 on both, so the mean",
    "linear - exact on this workload went from +0.068 (average linkage) to -0.026. These",
    'sequences have about 1,000 blocks, where `search="auto"` takes the exact search:',
    "the default pipeline scores the exact column here.",
    "",
)

KEY = ("workload", "sequence", "search", "k_mode")
COLUMNS = (
    *KEY,
    "n_frames",
    "n_actions_true",
    "n_segments_true",
    "n_clusters_pred",
    "n_segments_pred",
    "ari",
    "seconds",
    "load",
    "machine",
)


def _jobs(workload: str) -> Iterator[tuple[str, str, Callable[[], Any]]]:
    if workload in ("subject86", "all"):
        for trial in common.SUBJECT86_TRIALS:
            yield "subject86", f"trial{trial}", common.trial_loader(trial)
    if workload in ("actions", "all"):
        for concat in range(10):
            yield "actions", f"concat{concat}", common.concat_loader(concat, False)
    if workload in ("long", "all"):
        for seed in LONG_SEEDS:
            yield "long", f"seed{seed}", _long_loader(seed)


def _long_loader(seed: int) -> Callable[[], Any]:
    def load() -> Any:
        from types import SimpleNamespace

        import scale  # bench/scale.py, a sibling

        frames, labels = scale.scale_sequence(LONG_FRAMES, seed)
        return SimpleNamespace(frames=frames, labels=labels)

    return load


def measure(features: np.ndarray, labels: np.ndarray, search: str, k_mode: str) -> dict[str, Any]:
    """One segmentation: the row's measured fields."""
    from mocap_seq2seq.pipeline import oracle_parameters
    from mocap_seq2seq.segment.metrics import adjusted_rand
    from mocap_seq2seq.segment.segmentation import KernelSegmenter

    told = oracle_parameters(labels, "kernel") if k_mode == ORACLE else {}
    load = os.getloadavg()[0]
    started = time.perf_counter()
    model = KernelSegmenter(search=search, **told).fit(features)
    seconds = time.perf_counter() - started
    return {
        "n_clusters_pred": model.n_clusters_,
        "n_segments_pred": model.segment_frames_.shape[0],
        "ari": adjusted_rand(labels, model.frame_labels_),
        "seconds": seconds,
        "load": load,
    }


def run(args: argparse.Namespace) -> None:
    results = common.ResultsCSV(RESULTS_CSV, COLUMNS, KEY)
    machine = common.machine_string()
    for workload, sequence, load in _jobs(args.workload):
        keys = [
            {"workload": workload, "sequence": sequence, "search": search, "k_mode": k_mode}
            for k_mode in (ORACLE, AUTO)
            for search in SEARCHES
        ]
        if all(key in results for key in keys):
            common.log(f"skip {workload} {sequence} (in {RESULTS_CSV.name})")
            continue
        source = load()
        labels = np.asarray(source.labels)
        features = common.raw_features(source.frames)
        n_actions, n_segments = common.oracle_counts(labels)
        for key in keys:
            if key in results:
                continue
            row = {
                **key,
                "n_frames": features.shape[0],
                "n_actions_true": n_actions,
                "n_segments_true": n_segments,
                **measure(features, labels, key["search"], key["k_mode"]),
                "machine": machine,
            }
            results.append(row)
            common.log(
                f"{workload} {sequence} {key['k_mode']:9s} {key['search']:6s} "
                f"ARI {row['ari']:.3f}  {row['seconds']:.2f} s (load {row['load']:.2f})"
            )
    summarize()


def summarize() -> None:
    rows = common.read_rows(RESULTS_CSV)
    by_key = {tuple(row[name] for name in KEY): row for row in rows}
    sequences: dict[str, list[str]] = {}
    for row in rows:
        names = sequences.setdefault(row["workload"], [])
        if row["sequence"] not in names:
            names.append(row["sequence"])
    overview, details, verdicts = [], [], []
    for workload, names in sequences.items():
        for k_mode in (ORACLE, AUTO):
            differences, exact_aris, linear_aris, times = [], [], [], {s: [] for s in SEARCHES}
            for name in names:
                pair = [by_key.get((workload, name, search, k_mode)) for search in SEARCHES]
                if None in pair:
                    continue
                exact, linear = pair
                a_exact, a_linear = common.to_float(exact["ari"]), common.to_float(linear["ari"])
                exact_aris.append(a_exact)
                linear_aris.append(a_linear)
                differences.append(a_linear - a_exact)
                for search, row in zip(SEARCHES, pair):
                    times[search].append(common.to_float(row["seconds"]))
                details.append(
                    [
                        WORKLOADS.get(workload, workload),
                        name,
                        k_mode,
                        f"{int(exact['n_frames']):,}",
                        f"{a_exact:.3f}",
                        f"{a_linear:.3f}",
                        f"{a_linear - a_exact:+.3f}",
                        f"{exact['n_segments_pred']} / {linear['n_segments_pred']} / "
                        f"{exact['n_segments_true']}",
                        f"{common.to_float(exact['seconds']):.2f}",
                        f"{common.to_float(linear['seconds']):.2f}",
                        f"{common.to_float(exact['load']):.1f}",
                    ]
                )
            if not differences:
                continue
            mean_difference = float(np.mean(differences))
            met = mean_difference >= -GOAL
            overview.append(
                [
                    WORKLOADS.get(workload, workload),
                    k_mode,
                    str(len(differences)),
                    f"{np.mean(exact_aris):.3f}",
                    f"{np.mean(linear_aris):.3f}",
                    f"{mean_difference:+.3f}",
                    f"{min(differences):+.3f}",
                    f"{sum(times['exact']):.1f}",
                    f"{sum(times['linear']):.1f}",
                    "yes" if met else f"no ({-mean_difference - GOAL:.3f} short)",
                ]
            )
            verdicts.append(met)
    machine = rows[0]["machine"] if rows else common.machine_string()
    loads = [common.to_float(row["load"]) for row in rows]
    finite = [value for value in loads if math.isfinite(value)]
    load_text = f"{min(finite):.1f}-{max(finite):.1f}" if finite else "–"
    if verdicts and all(verdicts):
        verdict = (
            f"The goal (mean linear ARI no more than {GOAL} below exact) holds on every "
            "workload and K mode."
        )
    elif verdicts:
        verdict = (
            f"The goal (mean linear ARI no more than {GOAL} below exact) is missed where the "
            "last column says so."
        )
    else:
        verdict = "No complete pairs yet."
    text = [
        "# Linear vs exact change-point search on the real workloads",
        "",
        f"Machine: {machine}, shared (1-minute load {load_text} during the rows). "
        "`python bench/linear_vs_exact.py run`.",
        '`KernelSegmenter(search="exact")` against `search="linear"`, all other parameters',
        "the defaults, on raw normalised poses of the ten subject-86 trials, the ten",
        "case-(i) concatenations (seeds 0..9, root re-based) and ten sequences of 24,000",
        'frames (2,400 blocks, below the switch of `search="auto"`) made as',
        "`bench/scale.py` makes its sequences. Oracle: told the true numbers of actions and",
        "segments (`pipeline.oracle_parameters`); automatic: told neither. Seconds: the",
        "segmenter's `fit`, summed over the sequences.",
        "",
        verdict,
        "",
        *NOTES,
        common.markdown_table(
            [
                "workload",
                "K",
                "sequences",
                "ARI exact",
                "ARI linear",
                "mean linear - exact",
                "worst",
                "s exact",
                "s linear",
                f"within {GOAL}",
            ],
            overview,
        ),
        "",
        "Per sequence (segments: exact / linear / true):",
        "",
        common.markdown_table(
            [
                "workload",
                "sequence",
                "K",
                "frames",
                "ARI exact",
                "ARI linear",
                "linear - exact",
                "segments",
                "s exact",
                "s linear",
                "load",
            ],
            details,
        ),
        "",
    ]
    from mocap_seq2seq.atomic import write_text

    write_text(SUMMARY_MD, "\n".join(text))
    common.log(f"wrote {SUMMARY_MD}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="measure the rows not yet in the CSV")
    run_parser.add_argument(
        "--workload", choices=("subject86", "actions", "long", "all"), default="all"
    )
    commands.add_parser("summarize", help="write the Markdown summary from the CSV")
    args = parser.parse_args(argv)
    if args.command == "run":
        run(args)
    else:
        summarize()


if __name__ == "__main__":
    main()
