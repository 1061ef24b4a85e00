"""Scale benchmark (issue 15): segment and embed sequences of 10^4 .. 10^6 frames.

The sequences are the ten subject-86 trials, in a seeded order, repeated
until the length is reached: every repetition gets Gaussian noise (2 % of each
channel's standard deviation) and its root position re-based to continue where
the previous piece ended, so no join is a free change point, and the answer
is known (each trial's ground truth, actions matched by name across trials).
One hour at 120 fps is 432,000 frames.

Rows, one child process each (so the peak memory is that of one job, read
from the child's own ``VmHWM`` in ``/proc/self/status``, the OS's accounting):

* ``segment``: the kernel segmenter (``search="auto"``: exact up to 2,500
  blocks, linear above) on raw normalised poses, oracle K and segments, and
  automatic; the wall time counts the segmenter only, the memory the whole job;
* ``segment`` with ``search="exact"`` at 60,000 frames: the "before" row;
* ``embed``: the pretrained ``trial-01`` model over the whole sequence
  (``embedding.embed_sequence``), wall time of the embedding only;
* ``pipeline``: the whole way from the frames in memory to frame labels, as a
  user runs it: Keras imported, the model loaded, the sequence embedded, the
  decoder states segmented by ``pipeline.segment_frames`` (the kernel
  segmenter's defaults, oracle or automatic K); the wall time counts all of it.

    python bench/scale.py run [--sizes 10000,100000,432000] [--stages segment,embed,pipeline]
                              [--with-before] [--with-million]
    python bench/scale.py summarize

Rows are appended to ``bench/results/scale.csv``, with the 1-minute load
average as each row started (the machine is shared); a rerun skips the rows
already there (move the file aside to measure them all again). ``summarize``
writes ``bench/results/scale.md`` with the fitted growth exponent (the slope
of log time and log memory against log frames).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402 - bench/ is put on the path just above

RESULTS_CSV = common.RESULTS_DIR / "scale.csv"
SUMMARY_MD = common.RESULTS_DIR / "scale.md"

SIZES = (10_000, 100_000, 432_000)
MILLION = 1_000_000
ONE_HOUR = 432_000
BEFORE_SIZE = 60_000
NOISE = 0.02
SEQUENCE_SEED = 0
EMBED_MODEL = "trial-01"
ORACLE, AUTO = "oracle", "automatic"

KEY = ("stage", "search", "k_mode", "n_frames")
COLUMNS = (
    *KEY,
    "seconds",
    "peak_mb",
    "ari",
    "n_actions_true",
    "n_segments_true",
    "n_clusters_pred",
    "n_segments_pred",
    "cap_reached",
    "keras_backend",
    "load",
    "machine",
)


def scale_sequence(n_frames: int, seed: int = SEQUENCE_SEED) -> tuple[np.ndarray, np.ndarray]:
    """``(frames, labels)``: subject-86 trials repeated with noise to ``n_frames`` frames.

    Labels are indices into the sorted names of all the trials' actions.
    """
    from mocap_seq2seq.data.sources import trial_source

    sources = [trial_source(trial) for trial in common.SUBJECT86_TRIALS]
    names = sorted({name for source in sources for name in source.action_names})
    index = {name: i for i, name in enumerate(names)}
    rng = np.random.default_rng(seed)
    frames = np.empty((n_frames, sources[0].frames.shape[1]), dtype=np.float32)
    labels = np.empty(n_frames, dtype=np.int64)
    filled, root = 0, None
    while filled < n_frames:
        for i in rng.permutation(len(sources)):
            source = sources[i]
            piece = source.frames.astype(np.float64)
            piece = piece + rng.normal(0.0, NOISE, piece.shape) * piece.std(axis=0)
            columns = list(source.root_columns)
            if root is not None and columns:
                piece[:, columns] += root - piece[0, columns]
            take = min(piece.shape[0], n_frames - filled)
            frames[filled : filled + take] = piece[:take]
            mapping = np.array([index[name] for name in source.action_names])
            labels[filled : filled + take] = mapping[source.labels[:take]]
            filled += take
            if columns:
                root = piece[take - 1, columns]
            if filled >= n_frames:
                break
    return frames, labels


def _peak_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return math.nan


def child(stage: str, search: str, k_mode: str, n_frames: int) -> dict[str, Any]:
    """One row, measured in this process (run as ``scale.py child ...``)."""
    frames, labels = scale_sequence(n_frames)
    n_actions, n_segments = common.oracle_counts(labels)
    row: dict[str, Any] = {
        "stage": stage,
        "search": search,
        "k_mode": k_mode,
        "n_frames": n_frames,
        "n_actions_true": n_actions,
        "n_segments_true": n_segments,
        "ari": math.nan,
        "n_clusters_pred": "",
        "n_segments_pred": "",
        "cap_reached": "",
        "keras_backend": "",
    }
    if stage == "segment":
        from mocap_seq2seq.segment.metrics import adjusted_rand
        from mocap_seq2seq.segment.segmentation import KernelSegmenter

        features = common.raw_features(frames)
        del frames
        told = dict(n_clusters=n_actions, n_segments=n_segments) if k_mode == ORACLE else {}
        started = time.perf_counter()
        model = KernelSegmenter(search=search, **told).fit(features)
        row["seconds"] = time.perf_counter() - started
        row["ari"] = adjusted_rand(labels, model.frame_labels_)
        row["n_clusters_pred"] = model.n_clusters_
        row["n_segments_pred"] = model.segment_frames_.shape[0]
        row["cap_reached"] = model.cap_reached_
    elif stage == "pipeline":
        # From the frames in memory to frame labels, as a user runs it: Keras
        # imported, the model loaded, the states embedded and segmented with the
        # library's defaults (pipeline.segment_frames, search="auto").
        started = time.perf_counter()
        from mocap_seq2seq.embedding import embed_sequence
        from mocap_seq2seq.model.training import load_run
        from mocap_seq2seq.pipeline import segment_frames
        from mocap_seq2seq.segment.metrics import adjusted_rand

        model, normalization, _ = load_run(common.shipped_seed0(EMBED_MODEL))
        states = embed_sequence(model, normalization, frames).states
        predicted = segment_frames(states, "kernel", labels=labels, oracle=k_mode == ORACLE)
        row["seconds"] = time.perf_counter() - started
        row["ari"] = adjusted_rand(labels, predicted)
        row["n_clusters_pred"] = int(np.unique(predicted).size)
        row["keras_backend"] = common.keras_backend()
    else:
        from mocap_seq2seq.embedding import embed_sequence
        from mocap_seq2seq.model.training import load_run

        model, normalization, _ = load_run(common.shipped_seed0(EMBED_MODEL))
        started = time.perf_counter()
        embedding = embed_sequence(model, normalization, frames)
        row["seconds"] = time.perf_counter() - started
        row["keras_backend"] = common.keras_backend()
        if embedding.states.shape[0] != n_frames:
            raise SystemExit(f"embedded {embedding.states.shape[0]} frames of {n_frames}")
    row["peak_mb"] = _peak_mb()
    return row


def _jobs(args: argparse.Namespace) -> list[tuple[str, str, str, int]]:
    sizes = [int(float(size)) for size in args.sizes.split(",")]
    if args.with_million and MILLION not in sizes:
        sizes.append(MILLION)
    stages = args.stages.split(",")
    jobs = []
    if args.with_before:
        jobs.append(("segment", "exact", AUTO, BEFORE_SIZE))
    for size in sizes:
        if "segment" in stages:
            jobs += [("segment", "auto", ORACLE, size), ("segment", "auto", AUTO, size)]
        if "embed" in stages:
            jobs.append(("embed", "", "", size))
        if "pipeline" in stages:
            jobs += [("pipeline", "auto", ORACLE, size), ("pipeline", "auto", AUTO, size)]
    return jobs


def run(args: argparse.Namespace) -> None:
    results = common.ResultsCSV(RESULTS_CSV, COLUMNS, KEY)
    machine = common.machine_string()
    for stage, search, k_mode, size in _jobs(args):
        key = {"stage": stage, "search": search, "k_mode": k_mode, "n_frames": size}
        if key in results:
            common.log(f"skip {key} (in {RESULTS_CSV.name})")
            continue
        load = os.getloadavg()[0]  # the machine is shared: what ran before this row
        common.log(f"{stage} {search} {k_mode} {size} frames (load {load:.2f}) ...")
        command = [
            sys.executable,
            __file__,
            "child",
            stage,
            search or "-",
            k_mode or "-",
            str(size),
        ]
        done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
        if done.returncode != 0:
            common.log(f"  failed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        row["machine"] = machine
        row["load"] = load
        results.append(row)
        common.log(
            f"  {row['seconds']:.1f} s, {row['peak_mb']:.0f} MB, ARI {row['ari']:.3f}, "
            f"segments {row['n_segments_pred']} / {row['n_segments_true']}"
        )
    summarize()


def _slope(sizes: list[float], values: list[float]) -> float:
    pairs = [(s, v) for s, v in zip(sizes, values) if s > 0 and v > 0 and math.isfinite(v)]
    if len(pairs) < 2:
        return math.nan
    x, y = np.log([p[0] for p in pairs]), np.log([p[1] for p in pairs])
    return float(np.polyfit(x, y, 1)[0])


def _one_hour(rows: list[dict[str, str]]) -> list[str]:
    """Lines on one hour of capture against the issue's goals (when its rows are there)."""
    at = {(r["stage"], r["k_mode"]): r for r in rows if int(r["n_frames"]) == ONE_HOUR}
    embed = at.get(("embed", ""))
    lines = []
    for k_mode in (ORACLE, AUTO):
        segment = at.get(("segment", k_mode))
        if embed is None or segment is None:
            continue
        embed_s, segment_s = common.to_float(embed["seconds"]), common.to_float(segment["seconds"])
        peak = max(common.to_float(embed["peak_mb"]), common.to_float(segment["peak_mb"]))
        lines.append(
            f"* {k_mode} K: embed {embed_s:.1f} s + segment {segment_s:.1f} s = "
            f"{embed_s + segment_s:.1f} s (goal 120 s; segmentation goal 30 s), "
            f"peak {peak:.0f} MB (goal 2,000 MB)."
        )
        whole = at.get(("pipeline", k_mode))
        if whole is not None:
            lines.append(
                f"  The whole pipeline on the decoder states (imports and model loading "
                f"included): {common.to_float(whole['seconds']):.1f} s, peak "
                f"{common.to_float(whole['peak_mb']):.0f} MB, "
                f"ARI {common.to_float(whole['ari']):.3f}."
            )
    if lines:
        lines = [
            "One hour of capture (432,000 frames at 120 fps), against the goals:",
            "",
            *lines,
            "",
        ]
    return lines


def summarize() -> None:
    rows = common.read_rows(RESULTS_CSV)
    groups: dict[tuple[str, str, str], list[dict[str, str]]] = {}
    for row in rows:
        groups.setdefault((row["stage"], row["search"], row["k_mode"]), []).append(row)
    table, slopes = [], []
    for (stage, search, k_mode), members in sorted(groups.items()):
        members.sort(key=lambda r: int(r["n_frames"]))
        for r in members:
            minutes = int(r["n_frames"]) / 120 / 60
            table.append(
                [
                    stage,
                    search or "–",
                    k_mode or "–",
                    f"{int(r['n_frames']):,}",
                    f"{minutes:.1f}",
                    f"{common.to_float(r['seconds']):.1f}",
                    f"{common.to_float(r['peak_mb']):.0f}",
                    "–" if r["ari"] in ("", "nan") else f"{common.to_float(r['ari']):.3f}",
                    f"{r['n_segments_pred'] or '–'} / {r['n_segments_true']}",
                    r["cap_reached"] or "–",
                    f"{common.to_float(r['load']):.1f}",
                ]
            )
        sizes = [float(r["n_frames"]) for r in members]
        time_slope = _slope(sizes, [common.to_float(r["seconds"]) for r in members])
        memory_slope = _slope(sizes, [common.to_float(r["peak_mb"]) for r in members])
        if math.isfinite(time_slope):
            slopes.append(
                [stage, search or "–", k_mode or "–", f"{time_slope:.2f}", f"{memory_slope:.2f}"]
            )
    machine = rows[0]["machine"] if rows else common.machine_string()
    text = [
        "# Scale: segmentation and embedding from 10^4 to 10^6 frames",
        "",
        f"Machine: {machine}. `python bench/scale.py run`; one child process per row,",
        "peak memory is its VmHWM (whole process: data, normalisation and the stage);",
        "load: the 1-minute load average as the row started (the 2 cores are shared).",
        "Sequences: the ten subject-86 trials repeated in a seeded order with 2 % noise",
        "and re-based root, truth from their annotations; segmentation on raw",
        "normalised poses, `KernelSegmenter(search=...)`, 120 fps.",
        "",
        common.markdown_table(
            [
                "stage",
                "search",
                "K",
                "frames",
                "minutes",
                "seconds",
                "peak MB",
                "ARI",
                "segments found / true",
                "cap reached",
                "load",
            ],
            table,
        ),
        "",
        "Growth exponents (slope of log seconds and log peak memory against log frames):",
        "",
        common.markdown_table(["stage", "search", "K", "time", "memory"], slopes),
        "",
        *_one_hour(rows),
    ]
    from mocap_seq2seq.atomic import write_text

    write_text(SUMMARY_MD, "\n".join(text))
    common.log(f"wrote {SUMMARY_MD}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        stage, search, k_mode, size = sys.argv[2:6]
        row = child(
            stage, "" if search == "-" else search, "" if k_mode == "-" else k_mode, int(size)
        )
        print(json.dumps(row, default=lambda value: value.item()))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="measure the rows not yet in scale.csv")
    run_parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    run_parser.add_argument("--stages", default="segment,embed,pipeline")
    run_parser.add_argument("--with-before", action="store_true", help="the exact search at 6e4")
    run_parser.add_argument("--with-million", action="store_true", help="add 10^6 frames")
    commands.add_parser("summarize", help="write scale.md from scale.csv")
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    else:
        summarize()


if __name__ == "__main__":
    main()
