"""The segmenters' names and what each does, without importing scikit-learn.

The command line builds ``--method``'s choices and help from :data:`SEGMENTER_HELP`
(so that `mocap --help` stays instant); :data:`mocap_seq2seq.segment.segmentation.SEGMENTERS`
maps the same names to the estimator classes and refuses to import if the two
disagree. A new segmenter is its class, one entry there and one line here.
"""

from __future__ import annotations

#: Segmenter name -> one line for the command line's help.
SEGMENTER_HELP: dict[str, str] = {
    "kernel": "change points + clustering of segments (the toolkit's default)",
    "paper": "agglomerative, cosine, single linkage (Su & Shlizerman)",
    "kmeans": "k-means on frames",
}

#: What a segmentation runs on (``--features``) -> one line for the help. The
#: pipeline (:func:`mocap_seq2seq.pipeline.feature_matrix`) builds each.
FEATURE_HELP: dict[str, str] = {
    "states": "the decoder states (an ensemble's combined states)",
    "poses": "the poses, normalised as in training",
    "both": "states and poses with an equal say (kernel: one Gaussian kernel each, its own "
    "width, averaged; paper, kmeans: each set centred and scaled to unit total deviation)",
}
#: Chosen on bench/features.py (README "States, poses, or both").
DEFAULT_FEATURES = "states"

#: How the kernel segmenter chooses its counts under automatic K (``--auto-k``)
#: -> one line for the help; :data:`mocap_seq2seq.segment.segmentation.AUTOMATIC_K_RULES`
#: holds the parameters of each.
AUTOMATIC_K_HELP: dict[str, str] = {
    "default": "penalty 1.2 a segment, actions cut at MMD 0.5 (tuned on subject 86)",
    "transfer": "penalty 1.5, actions cut at 0.7 x the median MMD between the sequence's "
    "segments (chosen on subject-86 poses; better held out on 7 of 9 workloads, "
    "worse on synthetic motion: README 'Automatic K that transfers')",
}
