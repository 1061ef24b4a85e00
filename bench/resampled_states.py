"""Do the decoder states transfer across frame rates? (issue 16, item 2's check on states)

bench/resampled.py checks the raw poses; this is the other half of the check:
"on states of models trained at that rate". For each sequence (subject 86's
ten trials, the ten case-(i) concatenations of ``bench/common.py``, root
re-based) and each rate (60, 50, 30 fps), the frames are resampled properly
(:func:`mocap_seq2seq.data.resample.resample_frames`: rotations slerped,
anti-aliased), a default model (``PRESETS['default']``, seed 0) is trained on
them as `mocap train` would, its states are segmented by the default kernel
segmenter told the rate (parameters in seconds), oracle and automatic K, and
scored against the labels taken by nearest frame. The 120 fps row is the same
default model of the native frames (seed 0 of the benchmarks' shared cache,
``common.default_states``).

The training windows stay in frames (source 50, target 25): at 30 fps a window
spans four times the seconds it spans at 120 fps. That is what a user gets
today, so that is what is measured.

    OMP_NUM_THREADS=1 nice python bench/resampled_states.py run --workload subject86
    OMP_NUM_THREADS=1 nice python bench/resampled_states.py run --workload case-i
    python bench/resampled_states.py summarize

The two workloads can run at once (one CSV each). Models are cached under
``bench/results/scratch/resampled/`` and rows appended as they finish; a
rerun continues where a killed one stopped. ``run`` ends by writing
``bench/results/resampled_states.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402 - bench/ is put on the path just above

SUMMARY_MD = common.RESULTS_DIR / "resampled_states.md"
RUNS = common.SCRATCH_DIR / "resampled"
COMMAND = "OMP_NUM_THREADS=1 nice python bench/resampled_states.py run --workload W"
WORKLOADS = ("subject86", "case-i")
NATIVE_RATE = 120.0
RATES = (60.0, 50.0, 30.0)
K_MODES = ("oracle", "automatic")
SEED = 0
KEY = ("workload", "sequence", "rate", "k_mode")
COLUMNS = (
    *KEY,
    "n_frames",
    "n_actions_true",
    "n_clusters_pred",
    "ari",
    "pose_ari",
    "train_seconds",
    "machine",
    "finished",
)


def results_csv(workload: str) -> Path:
    return common.RESULTS_DIR / f"resampled_states_{workload}.csv"


def _jobs(workload: str) -> list[tuple[str, str, Any]]:
    if workload == "subject86":
        return [(f"trial{t}", t, common.trial_loader(t)) for t in common.SUBJECT86_TRIALS]
    return [(f"concat{s}", str(s), common.concat_loader(s, False)) for s in range(10)]


def _states(workload: str, sequence: str, index: str, source: Any, rate: float):
    """States of the seed-0 default model of ``source`` at ``rate`` (trained once, cached)."""
    from mocap_seq2seq.data.resample import resample_frames
    from mocap_seq2seq.model.training import PRESETS

    if rate == NATIVE_RATE:
        cache_workload = "subject86" if workload == "subject86" else "actions"
        return common.default_states(cache_workload, index, SEED, source)
    frames = resample_frames(np.asarray(source.frames), NATIVE_RATE, rate)
    resampled = dataclasses.replace(
        source,
        name=f"{source.name} at {rate:g} fps",
        description={**source.description, "resampled_fps": rate},
        frames=frames,
        frame_rate=rate,
        truth=None,
    )
    run_dir = RUNS / workload / f"{sequence}-{rate:g}fps" / f"seed-{SEED}"
    return common.trained_embedding(resampled, PRESETS["default"].replace(seed=SEED), run_dir)


def run(args: argparse.Namespace) -> None:
    from mocap_seq2seq.data.resample import resample_frames, resample_labels
    from mocap_seq2seq.segment.metrics import adjusted_rand
    from mocap_seq2seq.segment.segmentation import KernelSegmenter

    csv_path = results_csv(args.workload)
    results = common.ResultsCSV(csv_path, COLUMNS, KEY)
    machine = common.machine_string()
    common.log(f"resampled states -> {csv_path} ({len(results.keys)} rows there); {machine}")
    for sequence, index, loader in _jobs(args.workload):
        source = None
        for rate in (NATIVE_RATE, *RATES):
            base = {"workload": args.workload, "sequence": sequence, "rate": f"{rate:g}"}
            todo = [k for k in K_MODES if {**base, "k_mode": k} not in results]
            if not todo:
                continue
            source = source or loader()
            labels = np.asarray(source.labels)
            if rate != NATIVE_RATE:
                labels = resample_labels(labels, NATIVE_RATE, rate)
                poses = common.raw_features(
                    resample_frames(np.asarray(source.frames), NATIVE_RATE, rate)
                )
            else:
                poses = common.raw_features(source.frames)
            cached = _states(args.workload, sequence, index, source, rate)
            states = cached.states
            n_actions, n_segments = common.oracle_counts(labels)
            for k_mode in todo:
                told = (
                    {"n_clusters": n_actions, "n_segments": n_segments}
                    if k_mode == "oracle"
                    else {}
                )
                model = KernelSegmenter(frame_rate=rate, **told).fit(states)
                on_poses = KernelSegmenter(frame_rate=rate, **told).fit(poses)
                ari = adjusted_rand(labels, model.frame_labels_)
                results.append(
                    {
                        **base,
                        "k_mode": k_mode,
                        "n_frames": states.shape[0],
                        "n_actions_true": n_actions,
                        "n_clusters_pred": model.n_clusters_,
                        "ari": ari,
                        "pose_ari": adjusted_rand(labels, on_poses.frame_labels_),
                        "train_seconds": cached.train_seconds,
                        "machine": machine,
                        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    }
                )
                common.log(f"{sequence} {rate:g} fps {k_mode}: states ARI {ari:.3f}")
    summarize(args)


def summarize(args: argparse.Namespace) -> None:
    from mocap_seq2seq.atomic import write_text

    rows = [row for w in WORKLOADS for row in common.read_rows(results_csv(w))]
    cells: dict[tuple[str, str, str, str], list[float]] = {}
    for row in rows:
        for column in ("ari", "pose_ari"):
            cell = (row["workload"], row["rate"], row["k_mode"], column)
            cells.setdefault(cell, []).append(common.to_float(row[column]))
    table = []
    for workload in WORKLOADS:
        for k_mode in K_MODES:
            for column, what in (("ari", "states"), ("pose_ari", "poses")):
                native = cells.get((workload, f"{NATIVE_RATE:g}", k_mode, column), [])
                base = float(np.mean(native)) if native else math.nan
                line: list[Any] = [workload, k_mode, what, f"{base:.2f} (n={len(native)})"]
                for rate in RATES:
                    values = cells.get((workload, f"{rate:g}", k_mode, column), [])
                    mean = float(np.mean(values)) if values else math.nan
                    miss = "" if abs(mean - base) <= 0.05 else " ✗"
                    line.append("–" if not values else f"{mean:.2f}{miss} (n={len(values)})")
                table.append(line)
    header = ["workload", "K", "features", "120 fps", *(f"{rate:g} fps" for rate in RATES)]
    machines = sorted({row["machine"] for row in rows})
    text = "\n".join(
        [
            "# Decoder states across frame rates (issue 16, item 2)",
            "",
            f"Command: `{COMMAND}` (W = subject86, case-i). "
            f"Machine: {'; '.join(machines) or 'none yet'}.",
            "",
            "Mean ARI over each workload's sequences. At each rate a default model",
            "(seed 0) is trained on the resampled frames and its states segmented by",
            "the default kernel segmenter told the rate; `poses` is the same segmenter",
            "on the same resampled frames' poses, for comparison. Training windows",
            "stay 50 + 25 frames at every rate. ✗: more than 0.05 from 120 fps.",
            "",
            common.markdown_table(header, table),
            "",
        ]
    )
    write_text(SUMMARY_MD, text)
    print(text)
    common.log(f"wrote {SUMMARY_MD}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run")
    run_parser.add_argument("--workload", choices=WORKLOADS, required=True)
    sub.add_parser("summarize")
    args = parser.parse_args()
    (run if args.command == "run" else summarize)(args)


if __name__ == "__main__":
    main()
