"""Compare segmenters on the raw poses of the subject-86 trials (case ii), no model.

Leakage-free: the poses are unwrapped, channel-dropped and z-scored using the
frames only; labels are read only to score. "oracle" rows are told the true
number of actions (and, for change-point methods, of segments); "auto" rows
are told neither.

    python bench/explore_segmentation.py                # the default table
    python bench/explore_segmentation.py --variants all # every variant explored
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mocap_seq2seq.data.store import load_trial
from mocap_seq2seq.motion.features import unwrap_expmap
from mocap_seq2seq.segment.metrics import adjusted_rand, boundary_scores, hungarian_accuracy
from mocap_seq2seq.segment.segmentation import KernelSegmenter, KMeansFrames, PaperClustering

TRIALS = ("01", "03", "05", "07", "09", "10", "11", "12", "13", "14")


def normalised_poses(frames: np.ndarray) -> np.ndarray:
    """Unwrap the root orientation, drop near-constant channels, z-score each channel."""
    unwrapped = unwrap_expmap(frames, (3, 4, 5))
    std = unwrapped.std(axis=0)
    kept = unwrapped[:, std >= 1e-4]
    return (kept - kept.mean(axis=0)) / kept.std(axis=0)


def load(trial: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sequence = load_trial(trial)
    return normalised_poses(sequence.frames), sequence.labels, sequence.segments.tolerance_windows()


# name -> (mode, factory(n_actions, n_segments)); "K only" is told K, not the segments.
VARIANTS = {
    "kernel": ("oracle", lambda k, s: KernelSegmenter(n_clusters=k, n_segments=s)),
    "kernel K only": ("K only", lambda k, s: KernelSegmenter(n_clusters=k)),
    "kernel auto": ("auto", lambda k, s: KernelSegmenter()),
    "kernel step=5": ("oracle", lambda k, s: KernelSegmenter(n_clusters=k, n_segments=s, step=5)),
    "kernel bandwidth=2": (
        "oracle",
        lambda k, s: KernelSegmenter(n_clusters=k, n_segments=s, bandwidth=2.0),
    ),
    "kernel linkage=complete": (
        "oracle",
        lambda k, s: KernelSegmenter(n_clusters=k, n_segments=s, linkage="complete"),
    ),
    "kernel auto threshold=0.45": ("auto", lambda k, s: KernelSegmenter(distance_threshold=0.45)),
    "kmeans": ("oracle", lambda k, s: KMeansFrames(n_clusters=k)),
    "kmeans auto": ("auto", lambda k, s: KMeansFrames()),
    "paper": ("oracle", lambda k, s: PaperClustering(n_clusters=k)),
    "paper auto": ("auto", lambda k, s: PaperClustering()),
}
DEFAULT_VARIANTS = ("kernel", "kernel K only", "kernel auto", "kmeans", "paper")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", default="default", help="comma list or 'all'")
    parser.add_argument("--trials", default=",".join(TRIALS))
    args = parser.parse_args()
    if args.variants == "all":
        names = list(VARIANTS)
    elif args.variants == "default":
        names = list(DEFAULT_VARIANTS)
    else:
        names = args.variants.split(",")
    data = {t: load(t) for t in args.trials.split(",")}
    print(f"{'method':28s} {'K':7s} {'acc':>6s} {'ari':>6s} {'F1':>6s} {'sec':>6s}  per-trial ari")
    for name in names:
        mode, factory = VARIANTS[name]
        accs, aris, f1s, secs = [], [], [], []
        for X, labels, windows in data.values():
            n_actions = int(np.unique(labels).size)
            n_segments = int(np.count_nonzero(np.diff(labels)) + 1)
            model = factory(n_actions, n_segments)
            start = time.perf_counter()
            pred = model.fit_predict(X)
            secs.append(time.perf_counter() - start)
            accs.append(hungarian_accuracy(labels, pred))
            aris.append(adjusted_rand(labels, pred))
            f1s.append(boundary_scores(model.boundaries_, windows).f1)
        print(
            f"{name:28s} {mode:7s} {np.mean(accs):6.3f} {np.mean(aris):6.3f} {np.mean(f1s):6.3f} "
            f"{np.mean(secs):6.2f}  " + " ".join(f"{a:.2f}" for a in aris),
            flush=True,
        )


if __name__ == "__main__":
    main()
