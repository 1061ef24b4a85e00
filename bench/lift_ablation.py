"""Embedding lift, part 2 (``ablation``): what shapes the embedding.

Run through ``python bench/embedding_lift.py``; see its docstring.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import common
import numpy as np
from lift_monitor import trajectory_states
from lift_shared import (
    ABLATION_COLUMNS,
    ABLATION_KEY,
    ABLATION_TRIALS,
    METHODS,
    SEGMENTER_NAMES,
    Clock,
    OutOfTime,
    Settings,
    effective_dimension,
    fmt,
    load_cached_states,
    parse_ints,
    parse_trials,
    score,
)

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
