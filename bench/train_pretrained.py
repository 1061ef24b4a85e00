"""Train, evaluate and export the pretrained models shipped in pretrained/.

One command reproduces them all (about 35 minutes on 2 CPU cores beside other jobs; resumable):

    OMP_NUM_THREADS=1 python bench/train_pretrained.py

* ``trial-NN``: one model per subject-86 trial with frames (01 03 05 07 09 10 11 12 13 14);
* ``actions-all``: one case-(i) model over a seeded concatenation of all 8 actions,
  33 pieces (as many as there are takes; takes drawn at random), root re-based.

Each "model" is a seed ensemble of ``--ensemble`` (default 3) members: the default
``TrainConfig`` with seeds 0, 1, 2, the label-free monitor on, trained by the library's
``train_ensemble`` as ``mocap train --ensemble 3`` does. Why three: on subject 86 one
model is a lottery (another seed moves a trial's oracle ARI by 0.3 or more), and the
three-seed ensemble with the default combination (``concat``: each member's states
scaled by their total standard deviation, concatenated) raised the mean oracle ARI of
the ten trials from 0.850 (single models) to 0.887 and cut the largest per-trial spread
between two independent repeats from 0.287 to 0.068 (README "Seed ensembles",
bench/results/ensembles.md); with automatic K it is on a par (0.743 vs 0.724).
``mocap train`` still trains one model by default, since an ensemble costs three
trainings; ``mocap train --trial 01 --ensemble 3`` reproduces a shipped one.

Each model is evaluated (the toolkit's kernel segmenter on the combined decoder states,
automatic and oracle K; leakage-free) and exported with its manifest entry: config,
members and seeds, backend and Keras version, training time, the data's SHA-256, sizes
and the metrics. Run folders go to bench/results/scratch/pretrained-runs (kept out of
git). Resuming: a killed run continues where it stopped (finished members are kept, an
unfinished one continues from its checkpoint, and its time counts from the resume);
a model already exported with the same config and seeds is skipped unless ``--force``,
which also retrains every member from step 0. A shipped single model of the same
config and frames (the form before issue 19) is reused as member 0 (seed 0) rather
than trained again, unless ``--force``. ``--metrics-only`` rescores the exported
models without training (after a change of the segmenter).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import time
from pathlib import Path

from common import SCRATCH_DIR, SUBJECT86_TRIALS, keras_backend, log

from mocap_seq2seq.atomic import write_json
from mocap_seq2seq.combination import DEFAULT_COMBINATION
from mocap_seq2seq.data.sources import SequenceSource, concatenation_source, trial_source
from mocap_seq2seq.model import ensemble, training
from mocap_seq2seq.monitor import make_monitor
from mocap_seq2seq.pretrained import (
    ACTIONS_MODEL,
    EXPORTED_FILES,
    MANIFEST_FILE,
    export_run,
    pretrained_metrics,
    read_manifest,
    resolve_pretrained_dir,
    run_metrics,
)

RUNS = SCRATCH_DIR / "pretrained-runs"
PRETRAINED = resolve_pretrained_dir(None)
#: Per-member training seconds, kept in the run folder across resumes.
SECONDS_FILE = "member_seconds.json"
#: Members in a shipped model (README "Seed ensembles").
DEFAULT_MEMBERS = 3


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


def seeds_of(config: training.TrainConfig, n_members: int) -> list[int]:
    return [config.seed + index for index in range(n_members)]


def is_current(entry: dict | None, config: training.TrainConfig, n_members: int) -> bool:
    """Whether a manifest entry is this config trained as this ensemble."""
    if not entry or entry.get("train") != dataclasses.asdict(config):
        return False
    members = entry.get("ensemble", {"n_members": 1, "seeds": [config.seed]})
    return members["n_members"] == n_members and members["seeds"] == seeds_of(config, n_members)


def resumable(run: Path, config: training.TrainConfig, n_members: int) -> bool:
    """Whether ``run`` is an ensemble folder of this config and seeds, to continue."""
    if not ensemble.is_ensemble(run):
        return False
    stored = ensemble.read_ensemble(run)
    if stored["seeds"] != seeds_of(config, n_members):
        return False
    first = run / stored["members"][0] / training.CONFIG_FILE
    return not first.is_file() or (
        dataclasses.asdict(training.read_run_config(first.parent).config)
        == dataclasses.asdict(config)
    )


def reuse_shipped_member(
    name: str, run: Path, source: SequenceSource, config: training.TrainConfig
) -> float | None:
    """Copy the shipped single model of ``name`` into ``run/member-0`` if it is that member.

    It is when it was trained with ``config`` (seed 0) on the same frames. Returns its
    training seconds from the manifest, or None when it is not reused.
    """
    shipped = PRETRAINED / name
    entry = read_manifest().get(name)
    if (
        entry is None
        or ensemble.is_ensemble(shipped)
        or not (shipped / training.WEIGHTS_FILE).is_file()
    ):
        return None
    stored = training.read_run_config(shipped)
    if dataclasses.asdict(stored.config) != dataclasses.asdict(config):
        return None
    if stored.raw["frames_sha256"] != training.frames_digest(source.frames):
        return None
    member = run / ensemble.member_name(0)
    member.mkdir(parents=True, exist_ok=True)
    for file in EXPORTED_FILES:  # weights last: a member is finished once they exist
        if file != training.WEIGHTS_FILE:
            shutil.copyfile(shipped / file, member / file)
    shutil.copyfile(shipped / training.WEIGHTS_FILE, member / (training.WEIGHTS_FILE + ".part"))
    (member / (training.WEIGHTS_FILE + ".part")).replace(member / training.WEIGHTS_FILE)
    return float(entry["train_seconds"])


def train_members(
    name: str,
    source: SequenceSource,
    config: training.TrainConfig,
    n_members: int,
    force: bool,
) -> tuple[Path, list[float]]:
    """Train (or finish) the ensemble of ``name``; its run folder and per-member seconds."""
    run = RUNS / name
    seconds_file = run / SECONDS_FILE
    if force or not resumable(run, config, n_members):
        ensemble.start_ensemble(config, source.frames, run, n_members, overwrite=True)
        write_json(seconds_file, {})
        if not force:
            reused = reuse_shipped_member(name, run, source, config)
            if reused is not None:
                write_json(seconds_file, {ensemble.member_name(0): reused})
                log(f"{name}: member 0 (seed {config.seed}) is the shipped model; reused")
    seconds = json.loads(seconds_file.read_text()) if seconds_file.is_file() else {}
    clock: dict[str, float] = {}  # the member being trained now, and since when

    def close(member: Path | None) -> None:
        """Record the time of the member just trained, then start the next one's clock."""
        for previous, started in clock.items():
            if (run / previous / training.WEIGHTS_FILE).is_file():
                seconds[previous] = round(time.monotonic() - started, 1)
                write_json(seconds_file, seconds)
        clock.clear()
        if member is not None and not (member / training.WEIGHTS_FILE).is_file():
            clock[member.name] = time.monotonic()

    def on_member(index: int, total: int, member: Path) -> None:
        close(member)
        if clock:
            log(f"{name}: {member.name} ({index + 1} of {total}) training")

    ensemble.train_ensemble(
        config,
        source.frames,
        run,
        n_members,
        resume=True,
        on_member=on_member,
        data=source.description,
        monitor=make_monitor(),
        root_columns=source.root_columns,
    )
    close(None)
    names = ensemble.read_ensemble(run)["members"]
    return run, [seconds.get(member) or _span(run / member) for member in names]


def _span(member: Path) -> float:
    """A member's training time when none was recorded (killed as it finished): the
    time from its config.json to its final weights, pauses included."""
    weights = (member / training.WEIGHTS_FILE).stat().st_mtime
    return round(weights - (member / training.CONFIG_FILE).stat().st_mtime, 1)


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
    parser.add_argument(
        "--ensemble",
        type=int,
        default=DEFAULT_MEMBERS,
        help=f"members per model, seeds 0 .. N-1 (default {DEFAULT_MEMBERS}, the shipped form)",
    )
    parser.add_argument("--force", action="store_true", help="retrain models already exported")
    parser.add_argument(
        "--metrics-only",
        action="store_true",
        help="do not train: rescore the exported models with the current segmenter and "
        "rewrite their manifest metrics (after a change of the segmenter's defaults)",
    )
    args = parser.parse_args(argv)
    n_members = ensemble.check_n_members(args.ensemble)
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
        if is_current(manifest.get(name), config, n_members) and not args.force:
            log(f"{name}: already exported with this config and {n_members} member(s); skipped")
            continue
        log(f"{name}: training on {source.name} ({source.frames.shape[0]} frames)")
        run, member_seconds = train_members(name, source, config, n_members, args.force)
        if n_members == 1:  # a one-member ensemble is exported as the plain run it holds
            run = ensemble.member_dirs(run)[0]
        started = time.monotonic()
        metrics = run_metrics(run)
        scored = time.monotonic() - started
        stored = json.loads((ensemble.member_dirs(run)[0] / training.CONFIG_FILE).read_text())
        description = source.description
        data_sha = description.get("data_sha256") or description["recipe"]["data_sha256"]
        entry = {
            "kind": description["kind"],
            "trial": description.get("trial"),
            "sequence": source.name,
            "train": stored["train"],
            "model": stored["model"],
            "keras_backend": backend,
            "keras_version": keras.__version__,
            "train_seconds": round(sum(member_seconds), 1),
            "data_sha256": data_sha,
            "frames_sha256": stored["frames_sha256"],
            "segmenter": "kernel (toolkit default) on decoder states, leakage-free",
            "metrics": metrics,
        }
        if n_members > 1:
            entry["segmenter"] = (
                f"kernel (toolkit default) on the members' decoder states combined by "
                f"'{DEFAULT_COMBINATION}', leakage-free"
            )
            entry["ensemble"] = {
                "n_members": n_members,
                "seeds": seeds_of(config, n_members),
                "combination": DEFAULT_COMBINATION,
                "member_train_seconds": member_seconds,
            }
        export_run(run, name, entry)
        log(
            f"{name}: {sum(member_seconds):.0f} s of training, scored in {scored:.0f} s; "
            f"automatic ARI {metrics['automatic']['ari']:.3f}, "
            f"oracle ARI {metrics['oracle']['ari']:.3f}"
        )
    trials = [entry for key, entry in read_manifest().items() if key.startswith("trial-")]
    if trials:  # the figure the README quotes
        means = {
            mode: sum(entry["metrics"][mode]["ari"] for entry in trials) / len(trials)
            for mode in ("oracle", "automatic")
        }
        log(
            f"{len(trials)} subject-86 models: mean ARI {means['oracle']:.3f} oracle, "
            f"{means['automatic']:.3f} automatic"
        )


if __name__ == "__main__":
    main()
