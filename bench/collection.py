"""Collections (issue 18): the segments of many takes labelled together, measured.

Two collections of the shipped data, each take segmented alone and its
segments then clustered with every other take's
(``mocap_seq2seq.segment.collection``):

* ``subject86``: the ten subject-86 trials with frames, ground truth their
  action names (walking, punching, ... shared across trials);
* ``case_i``: the 33 single-action takes of case (i) (8 actions).

Variants, as ``within -> across`` (what finds each take's change points ->
what compares segments between takes):

* ``poses -> poses``: each take's own normalised poses find its change points;
  poses normalised once over the whole collection compare the segments;
* ``poses -> poses (no root)``: the same without the root position channels
  (absolute positions differ between takes for reasons other than the action);
* ``states -> poses``: the decoder states find the change points (subject 86:
  each trial's own pretrained model; case (i): the ``actions-all`` model, one
  model for all takes), the poses (no root) compare segments;
* ``states -> states``: the states also compare segments, pooled either
  z-scored per take or normalised once over the collection. Subject 86's
  per-trial models share no coordinates, so both are the naive baseline the
  module's doc warns of; case (i)'s states all come from one model, where
  one normalisation is sound (z-scoring each single-action take on its own
  removes the very mean that tells its action);
* ``per take``: each take's labels kept apart (a take's clusters never meet
  another's): what running one command per file gives.

Within each take the number of segments is chosen automatically (a user of a
collection does not know it); across takes, ``oracle`` is told the number of
distinct actions of the collection, ``automatic`` cuts at the MMD threshold.
Scores: frame-level ARI over all frames of the collection, and take-level F1
of "which takes contain which action" (each cluster matched to one action by
the Hungarian method over frames; a take contains an action when at least
60 frames carry it).

    python bench/collection.py run          # about 3 minutes, 2-core CPU
    python bench/collection.py summarize

Writes bench/results/collection.{csv,md}.

``speed`` measures the command itself (``mocap_seq2seq.takes.segment_takes``,
what ``mocap segment FOLDER`` runs, default preset: one model trained per
take) on case (i)'s takes, in this process and on a Dask LocalCluster of two
workers, each from an empty folder: wall time and the frame ARI of the
collection-wide labels against the takes' actions.

    python bench/collection.py speed [--takes first|all]   # first: one take per action

Appends to bench/results/collection_speed.csv (a row per finished setting; a
rerun skips those done) and writes collection_speed.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import common
import numpy as np

RESULTS_CSV = common.RESULTS_DIR / "collection.csv"
SPEED_CSV = common.RESULTS_DIR / "collection_speed.csv"
SPEED_MD = common.RESULTS_DIR / "collection_speed.md"
SPEED_COLUMNS = (
    "takes",
    "workers",
    "n_takes",
    "n_frames",
    "seconds",
    "n_actions_true",
    "n_clusters_pred",
    "ari_automatic",
    "ari_oracle",
    "load",
    "machine",
)
SUMMARY_MD = common.RESULTS_DIR / "collection.md"
TRIALS = ("01", "03", "05", "07", "09", "10", "11", "12", "13", "14")
#: Frames of an action a take must hold to "contain" it (0.5 s at 120 fps).
PRESENCE_FRAMES = 60
COLUMNS = (
    "collection",
    "variant",
    "k_mode",
    "n_takes",
    "n_frames",
    "n_actions_true",
    "n_clusters_pred",
    "n_segments",
    "ari",
    "take_f1",
    "seconds",
    "machine",
)


@dataclass
class Take:
    name: str
    frames: np.ndarray
    labels: list[str]  # the action name of every frame
    states: np.ndarray


def _embed(model_folder: str, frames: np.ndarray) -> np.ndarray:
    from mocap_seq2seq.embedding import embed_sequence
    from mocap_seq2seq.model.training import load_run

    model, normalization, _ = load_run(common.shipped_seed0(model_folder))
    return embed_sequence(model, normalization, frames).states


def subject86_takes() -> list[Take]:
    from mocap_seq2seq.data.sources import trial_source

    takes = []
    for trial in TRIALS:
        source = trial_source(trial)
        names = [source.action_names[label] for label in source.labels]
        states = _embed(f"trial-{trial}", source.frames)
        takes.append(Take(f"trial {trial}", source.frames, names, states))
        common.log(f"subject 86 trial {trial}: {source.frames.shape[0]:,} frames")
    return takes


def case_i_takes() -> list[Take]:
    from mocap_seq2seq.data.store import catalogue, load_take
    from mocap_seq2seq.embedding import embed_sequence
    from mocap_seq2seq.model.training import load_run

    model, normalization, _ = load_run(common.shipped_seed0("actions-all"))
    takes = []
    for action, found in catalogue().takes.items():
        for take, _ in found:
            frames = load_take(action, take).frames
            states = embed_sequence(model, normalization, frames).states
            takes.append(Take(f"{action} #{take}", frames, [action] * frames.shape[0], states))
    common.log(f"case (i): {len(takes)} takes")
    return takes


def _zscore(features: np.ndarray) -> np.ndarray:
    from mocap_seq2seq.model.windows import fit_normalization

    return fit_normalization(features).transform(features)


def _no_root(frames: np.ndarray) -> np.ndarray:
    from mocap_seq2seq.motion.features import ROOT_POSITION_COLUMNS

    keep = np.setdiff1d(np.arange(frames.shape[1]), ROOT_POSITION_COLUMNS)
    return frames[:, keep]


def _shared(parts: list[np.ndarray]) -> list[np.ndarray]:
    """Features normalised once over the whole collection (per channel, all takes pooled)."""
    from mocap_seq2seq.model.windows import fit_normalization

    normalization = fit_normalization(np.concatenate(parts))
    return [normalization.transform(part) for part in parts]


def _shared_poses(takes: list[Take], drop_root: bool) -> list[np.ndarray]:
    """Poses normalised once over the whole collection (one space for all takes)."""
    return _shared([_no_root(take.frames) if drop_root else take.frames for take in takes])


#: variant -> (within features of a take, across features of the collection)
Within = Callable[[Take], np.ndarray]
Across = Callable[[list[Take]], list[np.ndarray]]
VARIANTS: dict[str, tuple[Within, Across | None]] = {
    "poses -> poses": (lambda take: _zscore(take.frames), lambda t: _shared_poses(t, False)),
    "poses -> poses (no root)": (
        lambda take: _zscore(take.frames),
        lambda t: _shared_poses(t, True),
    ),
    "states -> poses (no root)": (
        lambda take: take.states,
        lambda t: _shared_poses(t, True),
    ),
    "states -> states (z-scored per take)": (
        lambda take: take.states,
        lambda t: [_zscore(take.states) for take in t],
    ),
    "states -> states (one normalisation)": (
        lambda take: take.states,
        lambda t: _shared([take.states for take in t]),
    ),
    "per take (poses)": (lambda take: _zscore(take.frames), None),
}


def take_f1(truth: list[np.ndarray], predicted: list[np.ndarray], n_actions: int) -> float:
    """F1 of (take, action) "contains" pairs, clusters matched to actions over all frames."""
    from scipy.optimize import linear_sum_assignment

    all_true, all_pred = np.concatenate(truth), np.concatenate(predicted)
    n_pred = int(all_pred.max()) + 1
    table = np.zeros((n_pred, n_actions))
    np.add.at(table, (all_pred, all_true), 1)
    rows, columns = linear_sum_assignment(-table)
    to_action = np.full(n_pred, -1)
    to_action[rows] = columns

    def contains(labels: np.ndarray) -> set[int]:
        values, counts = np.unique(labels, return_counts=True)
        return {int(v) for v, c in zip(values, counts, strict=True) if c >= PRESENCE_FRAMES}

    true_pairs, pred_pairs = set(), set()
    for index, (t, p) in enumerate(zip(truth, predicted, strict=True)):
        true_pairs |= {(index, a) for a in contains(t)}
        mapped = to_action[p]
        pred_pairs |= {(index, a) for a in contains(mapped[mapped >= 0])}
    hits = len(true_pairs & pred_pairs)
    if not hits:
        return 0.0
    precision, recall = hits / len(pred_pairs), hits / len(true_pairs)
    return 2 * precision * recall / (precision + recall)


def measure(collection: str, takes: list[Take]) -> list[dict[str, Any]]:
    from mocap_seq2seq.segment.collection import collection_segments
    from mocap_seq2seq.segment.metrics import adjusted_rand
    from mocap_seq2seq.segment.segmentation import KernelSegmenter

    names = sorted({name for take in takes for name in take.labels})
    index = {name: i for i, name in enumerate(names)}
    truth = [np.array([index[name] for name in take.labels]) for take in takes]
    all_true = np.concatenate(truth)
    rows = []
    for variant, (within, across) in VARIANTS.items():
        started = time.monotonic()
        spans, alone = [], []
        for take in takes:
            model = KernelSegmenter().fit(within(take))
            spans.append(model.segment_frames_)
            alone.append(model.frame_labels_)
        within_seconds = time.monotonic() - started
        for k_mode in ("oracle", "automatic"):
            started = time.monotonic()
            if across is None:
                offset, predicted = 0, []
                for labels in alone:
                    predicted.append(labels + offset)
                    offset += int(labels.max()) + 1
                n_segments = sum(span.shape[0] for span in spans)
            else:
                found = collection_segments(
                    across(takes),
                    spans,
                    n_clusters=len(names) if k_mode == "oracle" else None,
                )
                predicted, n_segments = found.frame_labels, found.labels.size
            all_pred = np.concatenate(predicted)
            _, all_pred = np.unique(all_pred, return_inverse=True)
            row = {
                "collection": collection,
                "variant": variant,
                "k_mode": k_mode,
                "n_takes": len(takes),
                "n_frames": all_true.size,
                "n_actions_true": len(names),
                "n_clusters_pred": int(all_pred.max()) + 1,
                "n_segments": n_segments,
                "ari": adjusted_rand(all_true, all_pred),
                "take_f1": take_f1(truth, _split(all_pred, truth), len(names)),
                "seconds": within_seconds + time.monotonic() - started,
                "machine": common.machine_string(),
            }
            common.log(
                f"{collection:9s} {variant:26s} {k_mode:9s} ARI {row['ari']:.3f} "
                f"take F1 {row['take_f1']:.3f} ({row['n_clusters_pred']} clusters)"
            )
            rows.append(row)
            if across is None:
                break  # per-take labels do not depend on the collection's K
    return rows


def _split(labels: np.ndarray, like: list[np.ndarray]) -> list[np.ndarray]:
    edges = np.cumsum([part.size for part in like])[:-1]
    return np.split(labels, edges)


def run(args: argparse.Namespace) -> None:
    loaders = {"subject86": subject86_takes, "case_i": case_i_takes}
    rows = []
    for collection in args.collections.split(","):
        rows += measure(collection, loaders[collection]())
    _write(rows)
    summarize()


def _write(rows: list[dict[str, Any]]) -> None:
    import csv
    import io

    from mocap_seq2seq.atomic import write_text

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(row[key]) for key in COLUMNS})
    write_text(RESULTS_CSV, buffer.getvalue())


def _cell(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def summarize() -> None:
    from mocap_seq2seq.atomic import write_text

    rows = common.read_rows(RESULTS_CSV)
    table = [
        [
            "subject 86 (10 trials)" if row["collection"] == "subject86" else "case (i) (33 takes)",
            row["variant"],
            row["k_mode"] if not row["variant"].startswith("per take") else "(per take)",
            f"{row['n_clusters_pred']} / {row['n_actions_true']}",
            row["n_segments"],
            f"{float(row['ari']):.3f}",
            f"{float(row['take_f1']):.3f}",
            f"{float(row['seconds']):.1f}",
        ]
        for row in rows
    ]
    machine = rows[0]["machine"] if rows else "?"
    text = [
        "# Collections: segments of many takes labelled together",
        "",
        f"Machine: {machine}. `python bench/collection.py run`. See the script's doc for the",
        "variants (within -> across: what finds each take's change points -> what compares",
        "segments between takes) and the scores (frame ARI over the whole collection; F1 of",
        '"take contains action" pairs). Within takes K is automatic; across, oracle is told',
        "the collection's number of actions.",
        "",
        common.markdown_table(
            [
                "collection",
                "variant",
                "K across",
                "clusters / actions",
                "segments",
                "ARI",
                "take F1",
                "s",
            ],
            table,
        ),
        "",
    ]
    write_text(SUMMARY_MD, "\n".join(text))
    common.log(f"wrote {SUMMARY_MD}")


def speed(args: argparse.Namespace) -> None:
    """Time segment_takes on case (i)'s takes with 1 and 2 workers (resumable by row)."""
    import csv
    import os
    import shutil

    from mocap_seq2seq.model.training import PRESETS
    from mocap_seq2seq.paths import resolve_data_dir
    from mocap_seq2seq.segment.metrics import adjusted_rand
    from mocap_seq2seq.takes import find_takes, label_collection, segment_takes

    rows = common.read_rows(SPEED_CSV) if SPEED_CSV.is_file() else []
    done = {(row["takes"], row["workers"]) for row in rows}
    takes = find_takes([resolve_data_dir() / "cmu_actions.h5"])
    if args.takes == "first":
        firsts: dict[str, Any] = {}
        for take in takes:
            firsts.setdefault(take.name.rsplit("_", 1)[0], take)
        takes = list(firsts.values())
    for workers in (1, 2):
        if (args.takes, str(workers)) in done:
            common.log(f"skip {args.takes} x {workers} workers (in {SPEED_CSV.name})")
            continue
        folder = common.SCRATCH_DIR / f"collection-{args.takes}-{workers}"
        shutil.rmtree(folder, ignore_errors=True)
        load = os.getloadavg()[0]
        started = time.monotonic()
        found = segment_takes(takes, folder, PRESETS["default"], workers=workers)
        seconds = time.monotonic() - started
        kept = [result for result in found.takes if result.ok]
        truth_names = [result.name.rsplit("_", 1)[0] for result in kept]
        index = {name: i for i, name in enumerate(sorted(set(truth_names)))}
        truth = np.concatenate(
            [np.full(result.n_frames, index[name]) for result, name in zip(kept, truth_names)]
        )
        predicted = np.concatenate([found.labels[result.name] for result in kept])
        oracle = label_collection(kept, n_actions=len(index))[1]
        oracle_predicted = np.concatenate([oracle[result.name] for result in kept])
        row = {
            "takes": args.takes,
            "workers": workers,
            "n_takes": len(kept),
            "n_frames": truth.size,
            "seconds": round(seconds, 1),
            "n_actions_true": len(index),
            "n_clusters_pred": found.n_actions,
            "ari_automatic": round(adjusted_rand(truth, predicted), 4),
            "ari_oracle": round(adjusted_rand(truth, oracle_predicted), 4),
            "load": round(load, 2),
            "machine": common.machine_string(),
        }
        common.log(f"{row}")
        new = not SPEED_CSV.is_file()
        with open(SPEED_CSV, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=SPEED_COLUMNS, lineterminator="\n")
            if new:
                writer.writeheader()
            writer.writerow(row)
    _summarize_speed()


def _summarize_speed() -> None:
    from mocap_seq2seq.atomic import write_text

    rows = common.read_rows(SPEED_CSV)
    table = [
        [
            row["takes"],
            row["workers"],
            row["n_takes"],
            f"{int(row['n_frames']):,}",
            row["seconds"],
            f"{row['n_clusters_pred']} / {row['n_actions_true']}",
            f"{float(row['ari_automatic']):.3f}",
            f"{float(row['ari_oracle']):.3f}",
            row["load"],
        ]
        for row in rows
    ]
    text = [
        "# `mocap segment FOLDER`: case (i)'s takes, one model a take, 1 vs 2 Dask workers",
        "",
        f"Machine: {rows[0]['machine'] if rows else '?'}. `python bench/collection.py speed "
        "--takes first|all` (first: one take per action). Default preset; each setting from",
        "an empty folder. ARI: frames of all takes, collection-wide labels against the takes'",
        "actions; automatic as the command runs, oracle told the number of actions.",
        "",
        common.markdown_table(
            [
                "takes",
                "workers",
                "n",
                "frames",
                "seconds",
                "clusters / actions",
                "ARI automatic",
                "ARI oracle",
                "load",
            ],
            table,
        ),
        "",
    ]
    write_text(SPEED_MD, "\n".join(text))
    common.log(f"wrote {SPEED_MD}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="measure every collection and variant")
    run_parser.add_argument("--collections", default="subject86,case_i")
    commands.add_parser("summarize", help="write collection.md from collection.csv")
    speed_parser = commands.add_parser("speed", help="time `mocap segment FOLDER`, 1 vs 2 workers")
    speed_parser.add_argument("--takes", choices=("first", "all"), default="first")
    args = parser.parse_args(argv)
    if args.command == "run":
        run(args)
    elif args.command == "speed":
        speed(args)
    else:
        summarize()


if __name__ == "__main__":
    sys.exit(main())
