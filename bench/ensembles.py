"""Seed ensembles on subject 86: one model per seed, or N models combined?

Usage (from the repository root; resumable, rerun the same command after a kill)::

    OMP_NUM_THREADS=1 nice -n 5 python bench/ensembles.py            # train, then score
    OMP_NUM_THREADS=1 python bench/ensembles.py --stage train       # only train and embed
    OMP_NUM_THREADS=1 python bench/ensembles.py --stage score       # only score cached states

Models: the default config (``PRESETS['default']``: GRU 256, 1000 steps,
slowness 3) with seeds 0..5 on each of the ten subject-86 trials. The seed-0
models are the shipped ``pretrained/trial-NN`` (same config, checked); seeds
1..5 are trained into ``bench/results/scratch/ensembles/`` (gitignored), each
run folder with its decoder states cached as ``states.npy``. Seeds are trained
in the order 1, 2 (all trials), then 3, 4, 5, so that the first repeat is
complete early.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import common
import numpy as np

ENSEMBLE_DIR = common.SCRATCH_DIR / "ensembles"
SEEDS = (0, 1, 2, 3, 4, 5)
#: Two independent repeats of a three-model ensemble.
REPEATS = {"A": (0, 1, 2), "B": (3, 4, 5)}


def pretrained_states(trial: str, source, config) -> np.ndarray:
    """Decoder states of the shipped seed-0 model of ``trial`` (cached), if its config matches."""
    from mocap_seq2seq.atomic import atomic_path
    from mocap_seq2seq.embedding import embed_sequence
    from mocap_seq2seq.model import training
    from mocap_seq2seq.pretrained import resolve_pretrained_dir

    cache = ENSEMBLE_DIR / f"trial-{trial}" / "seed-0-pretrained" / common.STATES_FILE
    if cache.is_file():
        return np.load(cache)
    run = resolve_pretrained_dir(None) / f"trial-{trial}"
    stored = training.read_run_config(run)
    if dataclasses.asdict(stored.config) != dataclasses.asdict(config):
        return None
    if stored.raw["frames_sha256"] != training.frames_digest(source.frames):
        return None
    model, normalization, _ = training.load_run(run)
    states = embed_sequence(model, normalization, source.frames).states
    cache.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(cache) as temporary:
        with open(temporary, "wb") as handle:
            np.save(handle, states)
    return states


def member_states(trial: str, seed: int, source, config) -> np.ndarray:
    """Decoder states of the default model of ``trial`` with ``seed`` (trained once, cached)."""
    if seed == 0:
        states = pretrained_states(trial, source, config)
        if states is not None:
            return states
        common.log(f"pretrained/trial-{trial} differs from the default config: training seed 0")
    run = ENSEMBLE_DIR / f"trial-{trial}" / f"seed-{seed}"
    return common.trained_embedding(source, config.replace(seed=seed), run).states


def train_all(trials: tuple[str, ...], seeds: tuple[int, ...]) -> None:
    from mocap_seq2seq.data.sources import trial_source
    from mocap_seq2seq.model.training import PRESETS

    config = PRESETS["default"]
    order = [s for s in (0, 1, 2) if s in seeds] + [s for s in seeds if s not in (0, 1, 2)]
    sources = {}
    for seed in order:
        for trial in trials:
            if trial not in sources:
                sources[trial] = trial_source(trial)
            member_states(trial, seed, sources[trial], config)
            common.log(f"trial {trial} seed {seed}: states ready")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=("train", "score", "all"), default="all")
    parser.add_argument("--trials", nargs="+", default=list(common.SUBJECT86_TRIALS))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    args = parser.parse_args(argv)
    trials, seeds = tuple(args.trials), tuple(args.seeds)
    if args.stage in ("train", "all"):
        train_all(trials, seeds)
    if args.stage in ("score", "all"):
        from ensembles_score import score_all  # noqa: PLC0415 - written after training started

        score_all(trials, seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
