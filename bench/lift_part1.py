"""Embedding lift, part 1 (``lift``): states vs raw poses, PCA and an untrained model.

Run through ``python bench/embedding_lift.py``; see its docstring.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from typing import Any

import common
import numpy as np
from lift_shared import (
    COMBINED,
    FEATURES,
    LIFT_COLUMNS,
    LIFT_KEY,
    METHODS,
    PCA95,
    PCAPR,
    RAW,
    STATES,
    UNTRAINED,
    Clock,
    OutOfTime,
    Settings,
    effective_dimension,
    fmt,
    load_cached_states,
    parse_ints,
    parse_trials,
    pca_features,
    score,
    untrained_states,
)

# ----------------------------------------------------------------------------- part 1: lift


def lift_plan(
    trials: list[str], concats: list[int], seeds: list[int]
) -> Iterator[tuple[str, str, int, Callable[[], Any]]]:
    for seed in seeds:
        for trial in trials:
            yield "subject86", f"trial{trial}", seed, common.trial_loader(trial)
        for concat in concats:
            yield "actions", f"concat{concat}", seed, common.concat_loader(concat, False)
            yield "actions", f"concat{concat}-no-root", seed, common.concat_loader(concat, True)


def equal_weight(features: np.ndarray) -> np.ndarray:
    """Z-scored columns (constant ones dropped), scaled so that the total variance is 1."""
    kept = features[:, features.std(axis=0) > 1e-8]
    return (kept - kept.mean(axis=0)) / kept.std(axis=0) / np.sqrt(kept.shape[1])


def run_lift(args: argparse.Namespace, settings: Settings) -> None:
    results = common.ResultsCSV(settings.lift_csv, LIFT_COLUMNS, LIFT_KEY)
    clock = Clock(args.max_minutes)
    machine = common.machine_string()
    common.log(f"lift -> {settings.lift_csv} ({len(results.keys)} rows there); {machine}")
    memo: dict[tuple[Any, ...], dict[str, Any]] = {}
    written, skipped = 0, []
    try:
        for workload, sequence, seed, load in lift_plan(
            parse_trials(args.trials), parse_ints(args.concat_seeds), parse_ints(args.seeds)
        ):
            base = {"workload": workload, "sequence": sequence, "seed": seed}
            todo = [
                (f, m, k)
                for f in FEATURES
                for m, k in METHODS
                if (f != COMBINED or m == "kernel")
                and {**base, "features": f, "method": m, "k_mode": k} not in results
            ]
            if not todo:
                continue
            run_dir = settings.default_runs / workload / f"{sequence}-seed{seed}"
            if not (run_dir / common.STATES_FILE).is_file():
                skipped.append(f"{sequence}-seed{seed}")
                continue
            clock.check()
            source = load()
            cached = load_cached_states(run_dir, source)
            if cached is None:
                skipped.append(f"{sequence}-seed{seed}")
                continue
            states, info = cached
            n95, pr = effective_dimension(states)
            raw = common.raw_features(source.frames)
            features = {
                STATES: states,
                RAW: raw,
                PCA95: pca_features(raw, n95),
                PCAPR: pca_features(raw, int(round(pr))),
                UNTRAINED: untrained_states(
                    run_dir,
                    source.frames,
                    settings.lift_runs / "untrained" / workload / f"{sequence}-seed{seed}.npy",
                ),
                COMBINED: np.hstack([equal_weight(states), equal_weight(raw)]),
            }
            k, n_segments = common.oracle_counts(source.labels)
            common.log(
                f"{sequence} seed {seed}: {source.frames.shape[0]} frames, K {k}, "
                f"{n_segments} segments; states {states.shape[1]}-d, n95 {n95}, PR {pr:.1f}; "
                f"raw {raw.shape[1]}-d"
            )
            for feature, method, k_mode in todo:
                clock.check()
                X = features[feature]
                deterministic = feature in (RAW, PCA95, PCAPR) and method != "kmeans"
                memo_key = (sequence, feature, X.shape[1], method, k_mode)
                if deterministic and memo_key in memo:
                    scores = memo[memo_key]
                else:
                    scores = score(source, X, method, k_mode, seed)
                    if deterministic:
                        memo[memo_key] = scores
                row: dict[str, Any] = dict.fromkeys(LIFT_COLUMNS, "")
                row.update(base, features=feature, method=method, k_mode=k_mode)
                row.update(scores)
                row.update(
                    detail=source.name,
                    n_frames=source.frames.shape[0],
                    n_actions_true=k,
                    n_segments_true=n_segments,
                    dim=X.shape[1],
                    states_n95=n95,
                    states_pr=pr,
                    hidden_size=info["train"]["hidden_size"],
                    train_steps=info["train"]["steps"],
                    machine=machine,
                    finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
                )
                results.append(row)
                written += 1
                common.log(
                    f"  {feature:9s} {method:6s} {k_mode:9s} acc {fmt(row['accuracy'])} "
                    f"ari {fmt(row['ari'])} K {row['n_clusters_pred']} "
                    f"({row['segment_seconds']:.1f} s){' ' + row['note'] if row['note'] else ''}"
                )
    except OutOfTime:
        common.log(f"--max-minutes {args.max_minutes} reached: stopping between rows.")
    if skipped:
        common.log(f"no cached default run yet (rerun later): {', '.join(skipped)}")
    common.log(f"lift: wrote {written} rows to {settings.lift_csv}")
