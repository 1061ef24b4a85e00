"""Embedding lift summary (``summarize``): Markdown and figures from the CSVs; never trains.

Run through ``python bench/embedding_lift.py``; see its docstring.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import common
import numpy as np
from lift_ablation import DEFAULT_VALUES, variants
from lift_shared import (
    ABLATION_KEY,
    ABLATION_TRIALS,
    AUTO,
    COMBINED,
    FEATURES,
    FIGURES,
    LIFT_KEY,
    METHODS,
    MONITOR_SEGMENTERS,
    ORACLE,
    PCA95,
    RAW,
    STATES,
    UNTRAINED,
    Settings,
)

# ----------------------------------------------------------------------------- summarize


def _f(row: dict[str, str], column: str) -> float:
    return common.to_float(row.get(column, ""))


def _ms(values: list[float], digits: int = 2) -> str:
    mean, std, _ = common.mean_std(values)
    return common.format_mean_std(mean, std, digits)


def _signed(values: list[float], digits: int = 2) -> str:
    mean, std, n = common.mean_std(values)
    if n == 0:
        return "–"
    text = f"{mean:+.{digits}f}"
    return text + (f" ± {std:.{digits}f}" if math.isfinite(std) else "")


def _wilcoxon(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < 5 or all(v == 0 for v in finite):
        return math.nan
    from scipy.stats import wilcoxon

    return float(wilcoxon(finite).pvalue)


def _sort_sequences(names: set[str]) -> list[str]:
    return sorted(names, key=lambda name: (name.startswith("concat"), len(name), name))


def lift_section(rows: list[dict[str, str]], figures: Path) -> tuple[list[str], dict[str, Any]]:
    """Tables of part 1 and the numbers the conclusion quotes."""
    facts: dict[str, Any] = {}
    lines = ["## 1. Lift: decoder states vs raw poses\n"]
    if not rows:
        return lines + ["No rows yet: run `python bench/embedding_lift.py lift`.\n"], facts
    # value[(workload, sequence, seed, features, method, k_mode)] = row
    index = {tuple(r[c] for c in LIFT_KEY): r for r in rows}
    groups = [
        ("subject86", lambda s: s.startswith("trial"), "Subject 86 (case ii)"),
        ("actions", lambda s: not s.endswith("no-root"), "Case (i), root re-based"),
        ("actions", lambda s: s.endswith("no-root"), "Case (i), no root channels"),
    ]
    lines.append(
        "Features: `states` = decoder states of the trained default model (the cached runs of "
        "`bench/segmentation.py`); `raw` = z-scored poses; `pca-n95` = PCA of the raw poses with "
        "as many components as the states' effective dimension n95 (components holding 95 % of "
        "the states' variance); `pca-pr` = the same with the participation ratio of the states "
        "(rounded); `untrained` = decoder states of the same model, same seed, before training; "
        "`states+raw` = both side by side, each z-scored and scaled to equal total variance "
        "(kernel segmenter only). "
        "Lift = states − raw, paired per (sequence, seed). Per sequence: mean ± std over seeds; "
        "overall: mean ± std over sequences of the per-sequence means, `wins` = sequences where "
        "the states score higher, `p` = two-sided Wilcoxon signed-rank over sequences.\n"
    )
    for workload, belongs, title in groups:
        group = [r for r in rows if r["workload"] == workload and belongs(r["sequence"])]
        if not group:
            continue
        sequences = _sort_sequences({r["sequence"] for r in group})
        seeds = sorted({r["seed"] for r in group})
        n95 = [_f(r, "states_n95") for r in group if r["features"] == STATES]
        pr = [_f(r, "states_pr") for r in group if r["features"] == STATES]
        raw_dim = [_f(r, "dim") for r in group if r["features"] == RAW]
        lines.append(f"### {title}\n")
        lines.append(
            f"{len(sequences)} sequences, seeds {', '.join(seeds)}. Effective dimension of the "
            f"states: n95 {_ms(n95, 1)}, participation ratio {_ms(pr, 1)} (of "
            f"{int(_f(group[0], 'hidden_size') or 0)}); raw poses {_ms(raw_dim, 0)} channels.\n"
        )

        def per_sequence(
            feature: str,
            method: str,
            k_mode: str,
            column: str,
            workload: str = workload,
            sequences: list[str] = sequences,
            seeds: list[str] = seeds,
        ) -> dict[str, list[float]]:
            out: dict[str, list[float]] = defaultdict(list)
            for seq in sequences:
                for seed in seeds:
                    row = index.get((workload, seq, seed, feature, method, k_mode))
                    if row is not None:
                        out[seq].append(_f(row, column))
            return out

        def lift(
            a: str,
            b: str,
            method: str,
            k_mode: str,
            column: str,
            workload: str = workload,
            sequences: list[str] = sequences,
            seeds: list[str] = seeds,
        ) -> dict[str, list[float]]:
            out: dict[str, list[float]] = defaultdict(list)
            for seq in sequences:
                for seed in seeds:
                    ra = index.get((workload, seq, seed, a, method, k_mode))
                    rb = index.get((workload, seq, seed, b, method, k_mode))
                    if ra is not None and rb is not None:
                        out[seq].append(_f(ra, column) - _f(rb, column))
            return out

        def seq_means(values: dict[str, list[float]]) -> list[float]:
            return [common.mean_std(v)[0] for v in values.values() if v]

        overview = []
        for method, k_mode in METHODS:
            cells = [method, k_mode]
            for feature in FEATURES:
                cells.append(_ms(seq_means(per_sequence(feature, method, k_mode, "ari"))))
            for column in ("ari", "accuracy"):
                means = seq_means(lift(STATES, RAW, method, k_mode, column))
                wins = sum(m > 0 for m in means)
                p = _wilcoxon(means)
                cells += [
                    _signed(means),
                    f"{wins}/{len(means)}",
                    "–" if math.isnan(p) else f"{p:.3f}",
                ]
                facts[(title, method, k_mode, column)] = (
                    common.mean_std(means),
                    wins,
                    len(means),
                    p,
                )
            means_u = seq_means(lift(STATES, UNTRAINED, method, k_mode, "ari"))
            cells.append(_signed(means_u))
            facts[(title, method, k_mode, "ari-vs-untrained")] = common.mean_std(means_u)
            means_p = seq_means(lift(STATES, PCA95, method, k_mode, "ari"))
            cells.append(_signed(means_p))
            means_c = seq_means(lift(COMBINED, RAW, method, k_mode, "ari"))
            cells.append(_signed(means_c))
            facts[(title, method, k_mode, "combined-vs-raw")] = (
                common.mean_std(means_c),
                sum(m > 0 for m in means_c),
                len(means_c),
            )
            overview.append(cells)
        lines.append("ARI per features (mean ± std over sequences) and lifts:\n")
        lines.append(
            common.markdown_table(
                [
                    "segmenter",
                    "K",
                    "states",
                    "raw",
                    "pca-n95",
                    "pca-pr",
                    "untrained",
                    "states+raw",
                    "ΔARI states−raw",
                    "wins",
                    "p",
                    "Δacc states−raw",
                    "wins",
                    "p",
                    "ΔARI states−untrained",
                    "ΔARI states−pca-n95",
                    "ΔARI states+raw − raw",
                ],
                overview,
            )
        )
        lines.append("")
        for method, k_mode in METHODS:
            table = []
            ari = {f: per_sequence(f, method, k_mode, "ari") for f in FEATURES}
            acc = {f: per_sequence(f, method, k_mode, "accuracy") for f in (STATES, RAW)}
            d_ari = lift(STATES, RAW, method, k_mode, "ari")
            d_acc = lift(STATES, RAW, method, k_mode, "accuracy")
            for seq in sequences:
                table.append(
                    [
                        seq,
                        str(len(ari[STATES].get(seq, []))),
                        *[_ms(ari[f].get(seq, [])) for f in FEATURES],
                        _signed(d_ari.get(seq, [])),
                        _ms(acc[STATES].get(seq, [])),
                        _ms(acc[RAW].get(seq, [])),
                        _signed(d_acc.get(seq, [])),
                    ]
                )
            lines.append(f"<details><summary>{method}, {k_mode} K: per sequence</summary>\n")
            lines.append(
                common.markdown_table(
                    [
                        "sequence",
                        "seeds",
                        "ARI states",
                        "raw",
                        "pca-n95",
                        "pca-pr",
                        "untrained",
                        "states+raw",
                        "ΔARI",
                        "acc states",
                        "acc raw",
                        "Δacc",
                    ],
                    table,
                )
            )
            lines.append("\n</details>\n")
        if workload == "subject86":
            _lift_figure(sequences, lift, figures / "embedding_lift_ari.png")
            lines.append(f"![ARI lift per trial](figures/{'embedding_lift_ari.png'})\n")
    return lines, facts


def _lift_figure(
    sequences: list[str], lift: Callable[..., dict[str, list[float]]], path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    combos = [("kernel", ORACLE), ("kernel", AUTO), ("kmeans", ORACLE), ("paper", ORACLE)]
    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / len(combos)
    x = np.arange(len(sequences))
    for i, (method, k_mode) in enumerate(combos):
        values = lift(STATES, RAW, method, k_mode, "ari")
        means = [common.mean_std(values.get(s, []))[0] for s in sequences]
        stds = [common.mean_std(values.get(s, []))[1] for s in sequences]
        stds = [s if math.isfinite(s) else 0.0 for s in stds]
        ax.bar(
            x + (i - (len(combos) - 1) / 2) * width,
            means,
            width,
            yerr=stds,
            label=f"{method} {k_mode}",
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, [s.removeprefix("trial") for s in sequences])
    ax.set_xlabel("subject-86 trial")
    ax.set_ylabel("ARI(states) − ARI(raw poses)")
    ax.set_title("Embedding lift per trial (mean ± std over training seeds)")
    ax.legend(fontsize=8, ncol=4)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


ABLATION_SHOWN = (("kernel", ORACLE), ("kernel", AUTO), ("kmeans", ORACLE), ("paper", ORACLE))


def ablation_section(
    rows: list[dict[str, str]], settings: Settings
) -> tuple[list[str], dict[str, Any]]:
    facts: dict[str, Any] = {}
    lines = ["## 2. Ablation: what shapes the embedding\n"]
    if not rows:
        return lines + ["No rows yet: run `python bench/embedding_lift.py ablation`.\n"], facts
    index = {tuple(r[c] for c in ABLATION_KEY): r for r in rows}
    trials_core = set(ABLATION_TRIALS)
    lines.append(
        "Cells (factor, value, trial, seed) on trials 01, 11, 14; `default` is the cached default "
        "run (GRU 256, 2000 steps, 50/25, tied, seq2seq, 120 fps, poses, one model per trial, "
        "read-out = the decoder step that predicted the frame). ARI: mean ± std over cells; Δ: "
        "paired difference to the default cell of the same (trial, seed), mean ± std, and the "
        "number of pairs. `train`: mean training seconds of a model (GRU 1024: trial 01 only; "
        "`all-trials`: one model shared by the ten trials; `steps`: cumulative seconds of the "
        "trajectory runs). `monitor`: label-free score of the states.\n"
    )
    values_of: dict[str, list[str]] = defaultdict(list)
    for variant in variants(settings):
        if variant.value not in values_of[variant.factor]:
            values_of[variant.factor].append(variant.value)
    for factor, values in values_of.items():
        if factor == "default":
            continue
        if not any(r["factor"] == factor for r in rows):
            continue
        table = []
        for value in [None, *values]:
            f, v = ("default", "default") if value is None else (factor, value)
            cells_rows = [
                r
                for r in rows
                if r["factor"] == f and r["value"] == v and r["trial"] in trials_core
            ]
            if value is not None and not cells_rows:
                table.append([value, "0", *["–"] * (3 + 2 * len(ABLATION_SHOWN))])
                continue
            if value is None:
                # the reference: only cells that some value of this factor has too
                pairs = {(r["trial"], r["seed"]) for r in rows if r["factor"] == factor}
                cells_rows = [r for r in cells_rows if (r["trial"], r["seed"]) in pairs]
            cells = {(r["trial"], r["seed"]) for r in cells_rows}
            first = [r for r in cells_rows if r["method"] == "kernel" and r["k_mode"] == ORACLE]
            train = [_f(r, "train_seconds") for r in first]
            row = [
                (DEFAULT_VALUES[factor] + " (default)") if value is None else value,
                str(len(cells)),
                common.format_seconds(common.mean_std(train)[0]),
                _ms([_f(r, "monitor") for r in first]),
                _ms([_f(r, "forecast_ratio") for r in first]),
            ]
            for method, k_mode in ABLATION_SHOWN:
                sel = [r for r in cells_rows if r["method"] == method and r["k_mode"] == k_mode]
                row.append(_ms([_f(r, "ari") for r in sel]))
                if value is None:
                    row.append("")
                    continue
                diffs = []
                for r in sel:
                    ref = index.get(("default", "default", r["trial"], r["seed"], method, k_mode))
                    if ref is not None:
                        diffs.append(_f(r, "ari") - _f(ref, "ari"))
                row.append(f"{_signed(diffs)} ({len(diffs)})" if diffs else "–")
                facts[(factor, value, method, k_mode)] = (
                    common.mean_std(diffs),
                    common.mean_std(train)[0],
                )
            table.append(row)
        lines.append(f"### {factor}\n")
        header = ["value", "cells", "train", "monitor", "forecast ratio"]
        for method, k_mode in ABLATION_SHOWN:
            header += [f"ARI {method} {k_mode}", "Δ"]
        lines.append(common.markdown_table(header, table))
        lines.append("")
        if factor == "hidden":
            sizes = ", ".join(
                f"{h}: {weights_megabytes(h):.2f} MB"
                for h in sorted({int(DEFAULT_VALUES["hidden"])} | {int(v) for v in values})
            )
            lines.append(
                f"What size costs: weights of the model (float32, {SUBJECT86_CHANNELS} "
                f"channels) by hidden size, {sizes}.\n"
            )
    # confirmation on other trials
    extra = [r for r in rows if r["trial"] not in trials_core and r["factor"] != "default"]
    if extra:
        lines.append("### Confirmation on the other trials\n")
        table = []
        for f, v in sorted({(r["factor"], r["value"]) for r in extra}):
            sel = [r for r in rows if r["factor"] == f and r["value"] == v]
            row = [f"{f}={v}", str(len({(r["trial"], r["seed"]) for r in sel}))]
            for method, k_mode in ABLATION_SHOWN:
                diffs = []
                for r in sel:
                    if r["method"] == method and r["k_mode"] == k_mode:
                        ref = index.get(
                            ("default", "default", r["trial"], r["seed"], method, k_mode)
                        )
                        if ref is not None:
                            diffs.append(_f(r, "ari") - _f(ref, "ari"))
                row.append(f"{_signed(diffs)} ({len(diffs)})" if diffs else "–")
            table.append(row)
        lines.append(
            common.markdown_table(
                ["variant", "cells", *[f"ΔARI {m} {k}" for m, k in ABLATION_SHOWN]], table
            )
        )
        lines.append("")
    return lines, facts


#: Channels of the subject-86 poses the models of this study see.
SUBJECT86_CHANNELS = 62


def weights_megabytes(hidden_size: int, n_channels: int = SUBJECT86_CHANNELS) -> float:
    """Size of the predictor's weights in float32 MB, counted on the real Keras model."""
    from mocap_seq2seq.model import training

    config = dataclasses.replace(training.TrainConfig(), hidden_size=hidden_size)
    return training.initial_model(config, n_channels).count_params() * 4 / 1e6


#: Objectives trained at the default's 1000 steps on all ten trials: compared with plain
#: MSE at the same steps (the ``steps=1000`` cells) and with the raw poses (part 1).
OBJECTIVES_AT_1000 = ("slowness-1@1000", "slowness-3@1000", "slowness-10@1000")


def objective_section(
    ablation_rows: list[dict[str, str]], lift_rows: list[dict[str, str]]
) -> list[str]:
    """The slowness objectives against plain MSE at equal steps and against the raw poses."""
    ari = {
        (r["factor"], r["value"], r["trial"], r["seed"], r["k_mode"]): _f(r, "ari")
        for r in ablation_rows
        if r["method"] == "kernel"
    }
    raw = {
        (r["sequence"].removeprefix("trial"), r["k_mode"]): _f(r, "ari")
        for r in lift_rows
        if r["workload"] == "subject86" and r["features"] == RAW and r["method"] == "kernel"
    }
    table = []
    for value in OBJECTIVES_AT_1000:
        for k_mode in (ORACLE, AUTO):
            per_trial: dict[str, list[tuple[float, float]]] = defaultdict(list)
            for (factor, v, trial, seed, k), score in ari.items():
                if factor == "objective" and v == value and k == k_mode:
                    reference = ari.get(("steps", "1000", trial, seed, k_mode), math.nan)
                    per_trial[trial].append((score, reference))
            if not per_trial:
                continue
            trials = sorted(per_trial)
            new = [float(np.nanmean([a for a, _ in per_trial[t]])) for t in trials]
            mse = [float(np.nanmean([b for _, b in per_trial[t]])) for t in trials]
            poses = [raw.get((t, k_mode), math.nan) for t in trials]
            vs_mse = [a - b for a, b in zip(new, mse)]
            vs_raw = [a - b for a, b in zip(new, poses)]
            seeds = sorted({int(s) for (f, v, _, s, _) in ari if f == "objective" and v == value})
            table.append(
                [
                    value,
                    k_mode,
                    f"{len(trials)} × {len(seeds)}",
                    f"{np.mean(new):.2f}",
                    f"{np.nanmean(mse):.2f}",
                    f"{np.nanmean(poses):.2f}",
                    f"{_signed(vs_mse)} ({sum(d > 0 for d in vs_mse)}/{len(trials)}, "
                    f"p {_wilcoxon(vs_mse):.2f})",
                    f"{_signed(vs_raw)} ({sum(d > 0 for d in vs_raw)}/{len(trials)}, "
                    f"p {_wilcoxon(vs_raw):.2f})",
                ]
            )
    if not table:
        return []
    return [
        "### The slowness objective at the default's 1000 steps\n",
        "Kernel-segmenter ARI on the subject-86 trials, mean over trials of the mean over seeds; "
        "`MSE` = plain next-pose MSE at 1000 steps (the `steps=1000` cells, same seeds), `raw` "
        "= the raw poses (part 1). Δ: mean ± std over trials, trials where the objective "
        "scores higher, two-sided Wilcoxon p.\n",
        common.markdown_table(
            [
                "objective",
                "K",
                "trials × seeds",
                "ARI",
                "MSE",
                "raw",
                "Δ vs MSE (wins, p)",
                "Δ vs raw (wins, p)",
            ],
            table,
        ),
        "",
    ]


def monitor_section(rows: list[dict[str, str]], figures: Path) -> tuple[list[str], dict[str, Any]]:
    from scipy.stats import spearmanr

    facts: dict[str, Any] = {}
    lines = ["## 3. Is the label-free monitor a training-optimality signal?\n"]
    if not rows:
        return lines + ["No rows yet: run `python bench/embedding_lift.py monitor`.\n"], facts
    lines.append(
        "One run per (trial, seed) with the default config, checkpoints every 250 steps (step 0 "
        "= untrained). Monitor = best cosine silhouette of k-means (K = 2..8) on 1500 frames of "
        "the states (`mocap_seq2seq.monitor.clustering_score`). ρ = Spearman correlation across "
        "the checkpoints of one run between the monitor and a labelled score; `at best monitor` "
        "= kernel-oracle ARI at the checkpoint the monitor would pick, vs the best and the last "
        "checkpoint. ρ(forecast) = the same for the forecast ratio (lower is better, so a good "
        "predictor-quality signal gives a negative ρ).\n"
    )
    runs: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        runs[(r["trial"], r["seed"])].append(r)
    targets = [f"{m}_{k}_ari" for m, k in MONITOR_SEGMENTERS]
    table = []
    columns: dict[str, list[float]] = defaultdict(list)  # for the mean row
    for (trial, seed), run in sorted(runs.items()):
        run.sort(key=lambda r: int(r["step"]))
        monitor = np.array([_f(r, "monitor") for r in run])
        cells = [trial, seed, str(len(run)), run[-1]["step"]]
        for target in targets:
            y = np.array([_f(r, target) for r in run])
            ok = np.isfinite(monitor) & np.isfinite(y)
            rho = spearmanr(monitor[ok], y[ok]).statistic if ok.sum() >= 4 else math.nan
            cells.append("–" if not math.isfinite(rho) else f"{rho:+.2f}")
            facts[(trial, seed, target)] = rho
            columns[target].append(rho)
        y = np.array([_f(r, "kernel_oracle_ari") for r in run])
        trained = [i for i, r in enumerate(run) if int(r["step"]) > 0]
        if trained:
            pick = trained[int(np.nanargmax(monitor[trained]))]
            cells += [
                f"{y[pick]:.2f} (step {run[pick]['step']})",
                f"{np.nanmax(y):.2f}",
                f"{y[-1]:.2f}",
            ]
            columns["pick"].append(float(y[pick]))
            columns["best"].append(float(np.nanmax(y)))
            columns["last"].append(float(y[-1]))
        else:
            cells += ["–", "–", "–"]
        fr = np.array([_f(r, "forecast_ratio") for r in run])
        ok = np.isfinite(fr) & np.isfinite(y)
        rho = spearmanr(fr[ok], y[ok]).statistic if ok.sum() >= 4 else math.nan
        cells.append("–" if not math.isfinite(rho) else f"{rho:+.2f}")
        columns["forecast"].append(rho)
        table.append(cells)

    def mean(key: str, signed: bool) -> str:
        values = [v for v in columns[key] if math.isfinite(v)]
        return f"{np.mean(values):{'+' if signed else ''}.2f}" if values else "–"

    table.append(
        ["mean", "", "", "", *[mean(t, True) for t in targets]]
        + [mean("pick", False), mean("best", False), mean("last", False), mean("forecast", True)]
    )
    lines.append(
        common.markdown_table(
            [
                "trial",
                "seed",
                "checkpoints",
                "last step",
                *[f"ρ monitor vs ARI {m} {k}" for m, k in MONITOR_SEGMENTERS],
                "kernel-oracle ARI at best monitor",
                "best",
                "last",
                "ρ(forecast, kernel-oracle ARI)",
            ],
            table,
        )
    )
    lines.append("")
    _monitor_figure(runs, figures / "embedding_lift_monitor.png")
    lines.append("![monitor vs accuracy](figures/embedding_lift_monitor.png)\n")
    return lines, facts


def _monitor_figure(runs: dict[tuple[str, str], list[dict[str, str]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted(runs)
    fig, axes = plt.subplots(2, len(keys), figsize=(3.6 * len(keys), 6), squeeze=False)
    for column, key in enumerate(keys):
        run = sorted(runs[key], key=lambda r: int(r["step"]))
        steps = [int(r["step"]) for r in run]
        ax = axes[0, column]
        ax.plot(steps, [_f(r, "monitor") for r in run], "k-o", ms=3, label="monitor (silhouette)")
        for m, k in MONITOR_SEGMENTERS:
            ax.plot(steps, [_f(r, f"{m}_{k}_ari") for r in run], "-", label=f"ARI {m} {k}")
        ax.set_title(f"trial {key[0]} seed {key[1]}")
        ax.set_xlabel("training step")
        if column == 0:
            ax.set_ylabel("score")
            ax.legend(fontsize=7)
        ax = axes[1, column]
        x = [_f(r, "monitor") for r in run]
        y = [_f(r, "kernel_oracle_ari") for r in run]
        scatter = ax.scatter(x, y, c=steps, cmap="viridis", s=18)
        ax.set_xlabel("monitor")
        if column == 0:
            ax.set_ylabel("ARI kernel oracle")
        fig.colorbar(scatter, ax=ax, label="step")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def conclusion(
    lift_facts: dict[str, Any], ablation_facts: dict[str, Any], monitor_facts: dict[str, Any]
) -> list[str]:
    lines = ["## Conclusion (generated from the numbers above)\n"]
    title = "Subject 86 (case ii)"
    for method, k_mode in METHODS:
        got = lift_facts.get((title, method, k_mode, "ari"))
        if not got:
            continue
        (mean, std, n), wins, total, p = got
        untrained = lift_facts.get((title, method, k_mode, "ari-vs-untrained"), (math.nan,))[0]
        verdict = (
            "no measurable lift"
            if not (math.isfinite(p) and p < 0.05)
            else ("states better" if mean > 0 else "raw poses better")
        )
        lines.append(
            f"* subject 86, {method} {k_mode} K: ARI lift states − raw {mean:+.2f}"
            + (f" ± {std:.2f}" if math.isfinite(std) else "")
            + f" over {n} trials (states higher on {wins}/{total}"
            + (f", Wilcoxon p = {p:.3f}" if math.isfinite(p) else "")
            + f"): {verdict}; trained − untrained {untrained:+.2f}."
        )
        combined = lift_facts.get((title, method, k_mode, "combined-vs-raw"))
        if combined and combined[2]:
            (c_mean, _, _), c_wins, c_total = combined
            lines.append(
                f"  States and poses side by side: {c_mean:+.2f} ARI over the poses alone "
                f"(higher on {c_wins}/{c_total} trials)."
            )
    best = sorted(
        (
            (v[0][0], k)
            for k, v in ablation_facts.items()
            if k[2:] == ("kernel", ORACLE) and math.isfinite(v[0][0])
        ),
        reverse=True,
    )
    if best:
        top = ", ".join(f"{f}={v} ({d:+.2f})" for d, (f, v, _, _) in best[:3])
        worst = ", ".join(f"{f}={v} ({d:+.2f})" for d, (f, v, _, _) in best[-3:])
        lines.append(f"* ablation, kernel-oracle ΔARI vs default: best {top}; worst {worst}.")
    rhos = [v for k, v in monitor_facts.items() if k[2] == "kernel_oracle_ari" and math.isfinite(v)]
    if rhos:
        lines.append(
            "* monitor vs kernel-oracle ARI across checkpoints: Spearman ρ "
            + ", ".join(f"{r:+.2f}" for r in rhos)
            + f" (mean {np.mean(rhos):+.2f} over {len(rhos)} runs)."
        )
    lines.append("")
    return lines


def summarize(args: argparse.Namespace, settings: Settings) -> None:
    from mocap_seq2seq.atomic import write_text

    lift_rows = common.read_rows(settings.lift_csv)
    ablation_rows = common.read_rows(settings.ablation_csv)
    monitor_rows = common.read_rows(settings.monitor_csv)
    machines = sorted({r["machine"] for r in lift_rows + ablation_rows + monitor_rows})
    lines = [
        "# Embedding lift (issue 7)",
        "",
        "Written by `python bench/embedding_lift.py summarize` from "
        f"`{settings.lift_csv.name}` ({len(lift_rows)} rows), `{settings.ablation_csv.name}` "
        f"({len(ablation_rows)} rows) and `{settings.monitor_csv.name}` ({len(monitor_rows)} "
        "rows). Leakage-free: models train on the raw sequence; labels only score and, in "
        "`oracle` rows, give the true K (and the true number of segments to `kernel`). "
        "Segmenters: `kernel` (the toolkit's default: kernel change points on 10-frame block "
        "means, MMD clustering of the segments), `kmeans` (frames, no time), `paper` "
        "(agglomerative, cosine, single linkage; Su & Shlizerman). Automatic K: MMD threshold "
        "and BIC-like penalty (kernel), best silhouette (kmeans, paper).",
        "",
        "* machine: " + ("; ".join(machines) or "–"),
        "",
        "Reproduce (from the repository root; resumable, rows already present are skipped):",
        "",
        "```bash",
        "export OMP_NUM_THREADS=1 TF_CPP_MIN_LOG_LEVEL=2",
        "# the cached default runs that part 1 reads:",
        "python bench/segmentation.py run --workload all",
        "# part 1 (no training but the untrained control):",
        "nice -n 10 python bench/embedding_lift.py lift",
        "# part 3, then part 2 in chunks of two hours:",
        "nice -n 10 python bench/embedding_lift.py monitor --trials 01,11,14 --seeds 0",
        "nice -n 10 python bench/embedding_lift.py ablation --max-minutes 120",
        "# this file and the figures:",
        "python bench/embedding_lift.py summarize",
        "```",
        "",
    ]
    part1, lift_facts = lift_section(lift_rows, settings.figures)
    part2, ablation_facts = ablation_section(ablation_rows, settings)
    part3, monitor_facts = monitor_section(monitor_rows, settings.figures)
    lines += conclusion(lift_facts, ablation_facts, monitor_facts)
    lines += part1 + part2 + objective_section(ablation_rows, lift_rows) + part3
    notes = [r for r in lift_rows + ablation_rows if r.get("note", "").startswith("failed")]
    if notes:
        lines.append("## Failures\n")
        lines += [
            f"* {r.get('sequence') or r.get('trial')} {r['method']}: {r['note']}" for r in notes
        ]
        lines.append("")
    text = "\n".join(lines) + "\n"
    if settings.figures != FIGURES:  # smoke: figure links point at the scratch folder
        text = text.replace("](figures/", f"]({settings.figures.name}/")
    settings.summary_md.parent.mkdir(parents=True, exist_ok=True)
    write_text(settings.summary_md, text)
    print(text, flush=True)
    common.log(f"wrote {settings.summary_md}")
