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
