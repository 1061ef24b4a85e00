"""Embedding lift (issue 7): do decoder states segment motion better than the motion itself?

Leakage-free everywhere: models train on the raw sequence; labels are read to
score and, in ``oracle`` rows, to tell a segmenter the true number of actions K
(and, for the kernel segmenter, of segments). ``automatic`` rows get neither.
Segmenters: the toolkit's default ``kernel`` (kernel change points + MMD
clustering of segments), ``kmeans`` on frames, and the paper's ``paper``
(agglomerative, cosine, single linkage).

Subcommands:

``lift`` (part 1)
    On every subject-86 trial and case-(i) concatenation whose default run is
    cached by ``bench/segmentation.py`` (``bench/results/scratch/runs/<workload>/
    <sequence>-seed<k>/states.npy``; nothing is retrained, missing runs are
    skipped and picked up by a rerun), the segmenters run on (a) the trained
    decoder states, (b) the raw normalised poses, (c) a PCA of the poses with as
    many components as the states' effective dimension, and (d) the decoder
    states of an untrained model of the same shape and seed (a control).
    Effective dimension: ``n95``, the number of principal components holding 95 %
    of the states' variance (feature ``pca-n95``); the participation ratio
    ``PR = (sum l)^2 / sum l^2`` of the same spectrum is recorded and used for a
    second PCA (``pca-pr``).
``ablation`` (part 2)
    Cells ``(factor, value, trial, seed)`` on trials 01, 11, 14 (GRU 1024 on
    trial 01 only): hidden size, training steps, tied/untied, AGED, source and
    target length, frame rate, velocity inputs, one model per trial vs one over
    all ten trials, and the frame read-out (the decoder step that predicted the
    frame, all steps of its window concatenated, or their mean). The reference
    ("default") cells are the cached default runs themselves. Each variant's runs
    live in ``bench/results/scratch/lift-runs/<factor>-<value>/``; every cell
    records its training seconds. ``--trials`` with all ten trials and
    ``--factors factor=value`` confirms a chosen variant on every trial.
``monitor`` (part 3)
    One run per (trial, seed) advanced 250 steps at a time (``training.train``
    with increasing ``steps`` and ``resume=True``, in
    ``lift-runs/trajectory/``; the ``steps`` factor of the ablation reads the
    same runs). At every checkpoint, and at step 0 (untrained): the label-free
    monitor score (``monitor.clustering_score`` of the states) and the labelled
    scores of the segmenters on the same states.
``summarize``
    Markdown tables into ``bench/results/embedding_lift.md`` and figures into
    ``bench/results/figures/``.

Commands (from the repository root; every one resumable: rows already in the
CSV are skipped, runs are cached)::

    OMP_NUM_THREADS=1 TF_CPP_MIN_LOG_LEVEL=2 nice -n 10 python bench/embedding_lift.py lift
    ... python bench/embedding_lift.py monitor --trials 01,11,14 --seeds 0
    ... python bench/embedding_lift.py ablation --max-minutes 120
    ... python bench/embedding_lift.py ablation --trials all --factors hidden=512
    python bench/embedding_lift.py summarize

Outputs: ``bench/results/embedding_lift.csv`` (lift), ``embedding_lift_ablation.csv``,
``embedding_lift_monitor.csv``, ``embedding_lift.md``, ``figures/embedding_lift_*.png``.
A hidden ``--steps N`` runs everything tiny into ``bench/results/scratch`` (smoke tests).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lift_ablation import run_ablation  # noqa: E402
from lift_monitor import run_monitor  # noqa: E402
from lift_part1 import run_lift  # noqa: E402
from lift_shared import ABLATION_TRIALS, CONCAT_SEEDS, SEEDS, Settings  # noqa: E402
from lift_summary import summarize  # noqa: E402

# ----------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    lift = commands.add_parser("lift", help="part 1: states vs raw / PCA / untrained")
    lift.add_argument("--trials", default="all")
    lift.add_argument("--concat-seeds", default=",".join(map(str, CONCAT_SEEDS)))
    ablation = commands.add_parser("ablation", help="part 2: what shapes the embedding")
    ablation.add_argument("--trials", default=None, help="default 01,11,14; 'all' to confirm")
    ablation.add_argument(
        "--factors", default=None, help="e.g. hidden,tied or hidden=512 (default: all)"
    )
    ablation.add_argument(
        "--methods",
        default=None,
        help="segmenters to score, e.g. kernel (default: kernel,kmeans,paper; paper is slow)",
    )
    ablation.add_argument(
        "--train-missing-defaults",
        action="store_true",
        help="train a default run that bench/segmentation.py has not cached yet (same cache)",
    )
    monitor = commands.add_parser("monitor", help="part 3: monitor vs labelled scores")
    monitor.add_argument("--trials", default=",".join(ABLATION_TRIALS))
    monitor.add_argument("--max-steps", type=int, default=None)
    summary = commands.add_parser("summarize", help="write bench/results/embedding_lift.md")
    for sub in (lift, ablation, monitor):
        sub.add_argument("--seeds", default=",".join(map(str, SEEDS)))
        sub.add_argument("--max-minutes", type=float, default=None)
    for sub in (lift, ablation, monitor, summary):
        # Smoke tests: train this many steps, read/write scratch files only (hidden).
        sub.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    settings = Settings.make(args.steps)
    if settings.smoke and args.command == "ablation":
        args.train_missing_defaults = True
    {"lift": run_lift, "ablation": run_ablation, "monitor": run_monitor, "summarize": summarize}[
        args.command
    ](args, settings)


if __name__ == "__main__":
    main()
