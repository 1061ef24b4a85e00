"""Train, evaluate and export the pretrained models shipped in pretrained/.

One command reproduces them all (about 20 minutes on 2 CPU cores):

    OMP_NUM_THREADS=1 python bench/train_pretrained.py

* ``trial-NN``: one model per subject-86 trial with frames (01 03 05 07 09 10 11 12 13 14);
* ``actions-all``: one case-(i) model over a seeded concatenation of all 8 actions,
  33 pieces (as many as there are takes; takes drawn at random), root re-based.

Each uses the default ``TrainConfig`` (seed 0) with the label-free monitor on, is evaluated
(the toolkit's kernel segmenter on the decoder states, automatic and oracle K; leakage-free)
and exported with its manifest entry: config, backend and Keras version, training time, the
data's SHA-256 and the metrics. Run folders go to bench/results/scratch/pretrained-runs
(kept out of git); a model already in the manifest with the same config is skipped unless
``--force``. ``--metrics-only`` rescores the exported models without training (after a
change of the segmenter).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

from common import SCRATCH_DIR, SUBJECT86_TRIALS, keras_backend, log

from mocap_seq2seq.atomic import write_json
from mocap_seq2seq.data.sources import SequenceSource, concatenation_source, trial_source
from mocap_seq2seq.model import training
from mocap_seq2seq.monitor import make_monitor
from mocap_seq2seq.pretrained import (
    ACTIONS_MODEL,
    MANIFEST_FILE,
    export_run,
    pretrained_metrics,
    read_manifest,
    resolve_pretrained_dir,
)

RUNS = SCRATCH_DIR / "pretrained-runs"
PRETRAINED = resolve_pretrained_dir(None)


def sources(names: list[str]) -> list[tuple[str, SequenceSource]]:
    """The sequences to train on, by pretrained-model name."""
    chosen = []
    for name in names:
        if name == ACTIONS_MODEL:
            from mocap_seq2seq.data.store import catalogue

            takes = catalogue().takes
            n_pieces = sum(len(entries) for entries in takes.values())
            chosen.append(
                (name, concatenation_source(n_actions=len(takes), n_pieces=n_pieces, seed=0))
            )
        else:
            chosen.append((name, trial_source(name.removeprefix("trial-"))))
    return chosen


def rescore(names: list[str]) -> None:
    """Recompute the exported models' metrics in place; weights and training fields stay."""
    for name in names:
        started = time.monotonic()
        metrics = pretrained_metrics(name)
        models = read_manifest()
        before = models[name]["metrics"]
        models[name]["metrics"] = metrics
        write_json(PRETRAINED / MANIFEST_FILE, {"models": dict(sorted(models.items()))})
        log(
            f"{name}: rescored in {time.monotonic() - started:.0f} s; automatic ARI "
            f"{before['automatic']['ari']:.4f} -> {metrics['automatic']['ari']:.4f}, oracle ARI "
            f"{before['oracle']['ari']:.4f} -> {metrics['oracle']['ari']:.4f}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models",
        default="all",
        help="comma-separated names (trial-01, ..., actions-all) or 'all'",
    )
    parser.add_argument("--force", action="store_true", help="retrain models already exported")
    parser.add_argument(
        "--metrics-only",
        action="store_true",
        help="do not train: rescore the exported models with the current segmenter and "
        "rewrite their manifest metrics (after a change of the segmenter's defaults)",
    )
    args = parser.parse_args(argv)
    every = [f"trial-{trial}" for trial in SUBJECT86_TRIALS] + [ACTIONS_MODEL]
    names = every if args.models == "all" else args.models.split(",")
    config = training.TrainConfig()
    manifest = read_manifest()
    backend = keras_backend()
    import keras

    if args.metrics_only:
        rescore([name for name in names if name in manifest])
        return
    for name, source in sources(names):
        entry = manifest.get(name)
        if entry and entry.get("train") == dataclasses.asdict(config) and not args.force:
            log(f"{name}: already exported with this config; skipped")
            continue
        run = RUNS / name
        log(f"{name}: training on {source.name} ({source.frames.shape[0]} frames)")
        monitor = make_monitor()
        started = time.monotonic()
        training.train(
            config,
            source.frames,
            run,
            data=source.description,
            monitor=monitor,
            overwrite=True,
            root_columns=source.root_columns,
        )
        seconds = time.monotonic() - started
        stored = json.loads((run / training.CONFIG_FILE).read_text())
        export_run(run, name, {"kind": source.description["kind"]})  # so that it can be loaded
        metrics = pretrained_metrics(name)
        description = source.description
        data_sha = description.get("data_sha256") or description["recipe"]["data_sha256"]
        export_run(
            run,
            name,
            {
                "kind": description["kind"],
                "trial": description.get("trial"),
                "sequence": source.name,
                "train": stored["train"],
                "model": stored["model"],
                "keras_backend": backend,
                "keras_version": keras.__version__,
                "train_seconds": round(seconds, 1),
                "data_sha256": data_sha,
                "frames_sha256": stored["frames_sha256"],
                "segmenter": "kernel (toolkit default) on decoder states, leakage-free",
                "metrics": metrics,
            },
        )
        log(
            f"{name}: {seconds:.0f} s; automatic ARI {metrics['automatic']['ari']:.3f}, "
            f"oracle ARI {metrics['oracle']['ari']:.3f}"
        )
    trials = [entry for key, entry in read_manifest().items() if key.startswith("trial-")]
    if trials:  # the figure the README quotes
        means = {
            mode: sum(entry["metrics"][mode]["ari"] for entry in trials) / len(trials)
            for mode in ("oracle", "automatic")
        }
        log(
            f"{len(trials)} subject-86 models: mean ARI {means['oracle']:.2f} oracle, "
            f"{means['automatic']:.2f} automatic"
        )


if __name__ == "__main__":
    main()
