"""Does the slowness term help on case (i) too? Plain MSE vs MSE + slowness, 1000 steps.

The objective ablation of ``bench/embedding_lift.py`` ran on the subject-86 trials;
the case-(i) pretrained model did worse with the slowness term. This trains both
objectives at the default's 1000 steps on the benchmark's ten case-(i)
concatenations (root re-based), same seeds, and scores the kernel segmenter on
the decoder states (oracle and automatic K) beside the raw poses. Resumable: runs
are cached under bench/results/scratch/case-i-objective/ and rows appended to
bench/results/case_i_objective.csv.

    OMP_NUM_THREADS=1 python bench/case_i_objective.py [--seeds 0] [--concats 0,1,...]
    python bench/case_i_objective.py --summarize
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402 - bench/ is put on the path just above

CSV = common.RESULTS_DIR / "case_i_objective.csv"
SUMMARY = common.RESULTS_DIR / "case_i_objective.md"
RUNS = common.SCRATCH_DIR / "case-i-objective"
COLUMNS = ("concat", "seed", "objective", "features", "k_mode", "ari", "accuracy", "machine")
KEY = ("concat", "seed", "objective", "features", "k_mode")
OBJECTIVES = {"MSE": 0.0, "MSE + 3 x slowness": 3.0}


def run(concats: list[int], seeds: list[int]) -> None:
    from mocap_seq2seq.model.training import TrainConfig
    from mocap_seq2seq.pipeline import segment_frames
    from mocap_seq2seq.segment.metrics import adjusted_rand, hungarian_accuracy

    results = common.ResultsCSV(CSV, COLUMNS, KEY)
    machine = common.machine_string()
    for seed in seeds:
        for concat in concats:
            source = common.concat_loader(concat, False)()
            features = {"raw poses": common.raw_features(source.frames)}
            for name, weight in OBJECTIVES.items():
                row = {"concat": concat, "seed": seed, "objective": name}
                if all(
                    {**row, "features": "states", "k_mode": k} in results
                    for k in ("oracle", "automatic")
                ):
                    continue
                config = TrainConfig(seed=seed, steps=1000, slowness=weight)
                folder = RUNS / f"{'mse' if weight == 0 else f'slowness{weight:g}'}"
                cached = common.trained_embedding(
                    source, config, folder / f"concat{concat}-seed{seed}"
                )
                features[name] = cached.states
            for name, X in features.items():
                objective = "–" if name == "raw poses" else name
                kind = "raw poses" if name == "raw poses" else "states"
                for k_mode in ("oracle", "automatic"):
                    row = {
                        "concat": concat,
                        "seed": seed,
                        "objective": objective,
                        "features": kind,
                        "k_mode": k_mode,
                    }
                    if row in results:
                        continue
                    predicted = segment_frames(
                        X, "kernel", labels=source.labels, oracle=k_mode == "oracle"
                    )
                    scores = {
                        "ari": adjusted_rand(source.labels, predicted),
                        "accuracy": hungarian_accuracy(source.labels, predicted),
                    }
                    results.append(
                        {
                            **row,
                            "ari": scores["ari"],
                            "accuracy": scores["accuracy"],
                            "machine": machine,
                        }
                    )
                    common.log(
                        f"concat{concat} seed {seed} {objective} {kind} {k_mode}: "
                        f"ARI {scores['ari']:.3f}"
                    )


def summarize() -> None:
    from mocap_seq2seq.atomic import write_text

    rows = common.read_rows(CSV)
    per: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        label = r["features"] if r["features"] == "raw poses" else r["objective"]
        per[(label, r["k_mode"])][r["concat"]].append(common.to_float(r["ari"]))
    lines = [
        "# Case (i): the slowness term against plain MSE\n",
        f"Written by `python bench/case_i_objective.py --summarize` from {CSV.name} "
        f"({len(rows)} rows; {'; '.join(sorted({r['machine'] for r in rows}))}). Kernel "
        "segmenter ARI on the benchmark's case-(i) concatenations (root re-based), GRU 256, "
        "1000 steps; mean over concatenations of the mean over seeds.\n",
    ]
    table = []
    for label in ("MSE", "MSE + 3 x slowness", "raw poses"):
        row = [label]
        for k_mode in ("oracle", "automatic"):
            values = per.get((label, k_mode), {})
            row.append(f"{np.mean([np.mean(v) for v in values.values()]):.2f}" if values else "–")
            row.append(str(len(values)))
        table.append(row)
    lines.append(
        common.markdown_table(
            ["features", "ARI oracle", "sequences", "ARI automatic", "sequences"], table
        )
    )
    for k_mode in ("oracle", "automatic"):
        mse, slow = per.get(("MSE", k_mode), {}), per.get(("MSE + 3 x slowness", k_mode), {})
        both = sorted(set(mse) & set(slow))
        if both:
            diffs = [np.mean(slow[c]) - np.mean(mse[c]) for c in both]
            lines.append(
                f"\n{k_mode}: slowness − MSE {np.mean(diffs):+.2f} ± {np.std(diffs):.2f} over "
                f"{len(both)} concatenations (slowness higher on {sum(d > 0 for d in diffs)})."
            )
    write_text(SUMMARY, "\n".join(lines) + "\n")
    common.log(f"wrote {SUMMARY}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--concats", default=",".join(map(str, range(10))))
    parser.add_argument("--summarize", action="store_true")
    args = parser.parse_args(argv)
    if not args.summarize:
        run([int(c) for c in args.concats.split(",")], [int(s) for s in args.seeds.split(",")])
    summarize()


if __name__ == "__main__":
    main()
