"""Embedding lift, part 3 (``monitor``): trajectory runs; monitor vs labelled scores.

Run through ``python bench/embedding_lift.py``; see its docstring.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import common
import numpy as np
from lift_shared import (
    AUTO,
    MONITOR_COLUMNS,
    MONITOR_KEY,
    MONITOR_MAX_STEPS,
    MONITOR_SEGMENTERS,
    Clock,
    OutOfTime,
    Settings,
    effective_dimension,
    fmt,
    parse_ints,
    parse_trials,
    score,
)

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
