"""Does the raw-pose kernel segmenter transfer across frame rates? (issue 16, item 2's check)

Subject 86's ten trials and the ten case-(i) concatenations of
``bench/common.py`` (root re-based; the CMU takes state no rate: they are
captured at 120 fps like every CMU take) are resampled from 120 fps to 60, 50
and 30 fps and segmented on their raw normalised poses by ``KernelSegmenter``
with the same defaults, oracle K (told the true numbers of actions and
segments) and automatic K (told neither). Three ways at each rate:

* ``resampled, seconds``: :func:`mocap_seq2seq.data.resample.resample_frames`
  (rotations slerped, anti-aliased) and the time-like parameters scaled to the
  rate (block ``step`` 10 frames and ``min_segment_length`` 60 frames at 120 fps
  = 1/12 s and 1/2 s; ``frame_rate`` given): what item 1 asks for;
* ``resampled, frames``: the same frames, parameters left in frames (the old
  behaviour);
* ``nearest, frames``: the nearest frame taken, parameters in frames (the
  issue's reproduction: subject 86 at 50 fps, automatic 0.75 -> 0.61).

Labels by nearest frame in every case (ARI is scored at the resampled rate).

    OMP_NUM_THREADS=1 nice python bench/resampled.py run [--max-minutes N]
    python bench/resampled.py summarize

Rows are appended to ``bench/results/resampled.csv`` as they finish; a rerun
skips the rows already there. ``run`` ends by writing ``bench/results/resampled.md``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402 - bench/ is put on the path just above

RESULTS_CSV = common.RESULTS_DIR / "resampled.csv"
SUMMARY_MD = common.RESULTS_DIR / "resampled.md"
COMMAND = "OMP_NUM_THREADS=1 nice python bench/resampled.py run"

NATIVE_RATE = 120.0
RATES = (60.0, 50.0, 30.0)
#: The segmenter's time-like defaults in frames at 120 fps.
STEP_FRAMES, MIN_SEGMENT_FRAMES = 10, 60
NATIVE, PROPER_SECONDS, PROPER_FRAMES, NEAREST_FRAMES = (
    "native",
    "resampled, seconds",
    "resampled, frames",
    "nearest, frames",
)
METHODS = (PROPER_SECONDS, PROPER_FRAMES, NEAREST_FRAMES)
K_MODES = ("oracle", "automatic")

KEY = ("workload", "sequence", "rate", "method", "k_mode")
COLUMNS = (
    *KEY,
    "n_frames",
    "step",
    "min_segment_length",
    "n_actions_true",
    "n_clusters_pred",
    "ari",
    "segment_seconds",
    "machine",
    "finished",
)


def _jobs() -> list[tuple[str, str, Any]]:
    jobs = [("subject86", f"trial{t}", common.trial_loader(t)) for t in common.SUBJECT86_TRIALS]
    jobs += [("case-i", f"concat{s}", common.concat_loader(s, False)) for s in range(10)]
    return jobs


def _variant(
    frames: np.ndarray, labels: np.ndarray, rate: float, method: str
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Frames, labels and segmenter parameters of one rate and method."""
    from mocap_seq2seq.data.resample import (
        resample_frames,
        resample_index,
        resample_labels,
        resampled_length,
    )

    if method == NATIVE:
        return frames, labels, {}
    new_labels = resample_labels(labels, NATIVE_RATE, rate)
    if method == NEAREST_FRAMES:
        n_out = resampled_length(frames.shape[0], NATIVE_RATE, rate)
        nearest = resample_index(np.arange(n_out), rate, NATIVE_RATE, frames.shape[0] - 1)
        new_frames = frames[nearest]
    else:
        new_frames = resample_frames(frames, NATIVE_RATE, rate)
    if method == PROPER_SECONDS:
        # The toolkit's parameters are in seconds (issue 16 item 1): the rate is all it needs.
        parameters: dict[str, Any] = {"frame_rate": rate}
    else:
        parameters = {"step": STEP_FRAMES, "min_segment_length": MIN_SEGMENT_FRAMES}
    return new_frames, new_labels, parameters


def run(args: argparse.Namespace) -> None:
    from mocap_seq2seq.segment.metrics import adjusted_rand
    from mocap_seq2seq.segment.segmentation import KernelSegmenter

    results = common.ResultsCSV(RESULTS_CSV, COLUMNS, KEY)
    machine = common.machine_string()
    deadline = time.monotonic() + 60 * args.max_minutes if args.max_minutes else math.inf
    common.log(f"resampled -> {RESULTS_CSV} ({len(results.keys)} rows there); {machine}")
    settings = [(NATIVE_RATE, NATIVE)] + [(r, m) for r in RATES for m in METHODS]
    for workload, sequence, loader in _jobs():
        key = {"workload": workload, "sequence": sequence}
        todo = [
            (rate, method, k_mode)
            for rate, method in settings
            for k_mode in K_MODES
            if {**key, "rate": f"{rate:g}", "method": method, "k_mode": k_mode} not in results
        ]
        if not todo:
            continue
        if time.monotonic() > deadline:
            common.log("out of time: rerun to continue")
            return
        source = loader()
        frames, labels = np.asarray(source.frames), np.asarray(source.labels)
        common.log(f"{workload} {sequence}: {frames.shape[0]} frames")
        for rate, method, k_mode in todo:
            new_frames, new_labels, parameters = _variant(frames, labels, rate, method)
            X = common.raw_features(new_frames)
            n_actions, n_segments = common.oracle_counts(new_labels)
            told = {"n_clusters": n_actions, "n_segments": n_segments} if k_mode == "oracle" else {}
            started = time.perf_counter()
            model = KernelSegmenter(**parameters, **told).fit(X)
            results.append(
                {
                    **key,
                    "rate": f"{rate:g}",
                    "method": method,
                    "k_mode": k_mode,
                    "n_frames": X.shape[0],
                    "step": model.step_,
                    "min_segment_length": model.min_segment_length_,
                    "n_actions_true": n_actions,
                    "n_clusters_pred": model.n_clusters_,
                    "ari": adjusted_rand(new_labels, model.frame_labels_),
                    "segment_seconds": time.perf_counter() - started,
                    "machine": machine,
                    "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
                }
            )
    summarize(args)


def summarize(args: argparse.Namespace) -> None:
    from mocap_seq2seq.atomic import write_text

    rows = common.read_rows(RESULTS_CSV)
    cells: dict[tuple[str, str, str, str], list[float]] = {}
    for row in rows:
        cell = (row["workload"], row["rate"], row["method"], row["k_mode"])
        cells.setdefault(cell, []).append(common.to_float(row["ari"]))
    machines = sorted({row["machine"] for row in rows})
    table = []
    for workload in ("subject86", "case-i"):
        for k_mode in K_MODES:
            native = cells.get((workload, "120", NATIVE, k_mode), [])
            base = float(np.mean(native)) if native else math.nan
            line: list[Any] = [workload, k_mode, f"{base:.2f} (n={len(native)})"]
            for rate in RATES:
                for method in METHODS:
                    values = cells.get((workload, f"{rate:g}", method, k_mode), [])
                    mean = float(np.mean(values)) if values else math.nan
                    miss = "" if abs(mean - base) <= 0.05 else " ✗"
                    line.append("–" if not values else f"{mean:.2f}{miss}")
            table.append(line)
    header = ["workload", "K", "120 fps"] + [
        f"{rate:g} {short}" for rate in RATES for short in ("s", "f", "nf")
    ]
    text = "\n".join(
        [
            "# Raw-pose kernel segmenter across frame rates (issue 16, item 2)",
            "",
            f"Command: `{COMMAND}`. Machine: {'; '.join(machines) or 'none yet'}.",
            "",
            "Mean ARI over each workload's ten sequences. `s` = resampled by",
            "`mocap_seq2seq.data.resample` with the block length and minimum segment",
            "length in seconds (scaled to the rate); `f` = the same frames, parameters",
            "in frames (the old behaviour); `nf` = nearest frame, parameters in frames.",
            "✗ marks a mean more than 0.05 from the native 120 fps one (the goal).",
            "",
            common.markdown_table(header, table),
            "",
        ]
    )
    write_text(SUMMARY_MD, text)
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run")
    run_parser.add_argument("--max-minutes", type=float, default=None)
    sub.add_parser("summarize")
    args = parser.parse_args()
    (run if args.command == "run" else summarize)(args)


if __name__ == "__main__":
    main()
