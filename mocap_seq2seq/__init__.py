"""mocap_seq2seq: unsupervised action recognition and segmentation of motion capture.

A recurrent sequence-to-sequence model learns to predict the next poses; the
states of its decoder are an embedding of the motion in which windows of the
same action lie together.

The stages are sub-packages, and imports run one way (``pyproject.toml``'s
import-linter contracts enforce it)::

    errors, atomic, paths, labels     the foundation: nothing of ours above them
    segment/   segmenters, metrics, evaluation (plain arrays; never Keras)
    motion/    skeleton, rotations, frame features
    data/      the HDF5 store, file formats, importers, sources, synthetic motion
    model/     layers, windows, training, AGED, distribution (Keras)
    report/    figures, animation, tables
    embedding  the bridge: a trained model over a sequence, one state per frame
    monitor    the label-free training monitor (embedding + clustering)
    pipeline   sequence + model -> embedding -> segmentations -> evaluation
    pretrained the shipped models

The names below are the public API. They are imported lazily, on first use:
``import mocap_seq2seq`` costs nothing, and Keras is imported only by what
needs it, so that the command line starts fast.

Example:
>>> import mocap_seq2seq as ms
>>> ms.KernelSegmenter.__module__
'mocap_seq2seq.segment.segmentation'
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> "module" (a module) or "module:attribute"
_PUBLIC: dict[str, str] = {
    # data
    "SequenceSource": "mocap_seq2seq.data.sources:SequenceSource",
    "trial_source": "mocap_seq2seq.data.sources:trial_source",
    "concatenation_source": "mocap_seq2seq.data.sources:concatenation_source",
    "file_source": "mocap_seq2seq.data.sources:file_source",
    "read_sequence": "mocap_seq2seq.data.store:read_sequence",
    "catalogue": "mocap_seq2seq.data.store:catalogue",
    "import_motion": "mocap_seq2seq.data.importers:import_motion",
    "piecewise_motion": "mocap_seq2seq.data.synthetic:piecewise_motion",
    # model
    "TrainConfig": "mocap_seq2seq.model.training:TrainConfig",
    "train": "mocap_seq2seq.model.training:train",
    "load_run": "mocap_seq2seq.model.training:load_run",
    # embedding
    "Embedding": "mocap_seq2seq.embedding:Embedding",
    "embed_sequence": "mocap_seq2seq.embedding:embed_sequence",
    "read_embedding": "mocap_seq2seq.embedding:read_embedding",
    # segment
    "KernelSegmenter": "mocap_seq2seq.segment.segmentation:KernelSegmenter",
    "PaperClustering": "mocap_seq2seq.segment.segmentation:PaperClustering",
    "SEGMENTERS": "mocap_seq2seq.segment.segmentation:SEGMENTERS",
    "frame_scores": "mocap_seq2seq.segment.metrics:frame_scores",
    "boundary_scores": "mocap_seq2seq.segment.metrics:boundary_scores",
    "evaluate_labels": "mocap_seq2seq.segment.evaluation:evaluate_labels",
    # pipeline
    "embed_and_segment": "mocap_seq2seq.pipeline:embed_and_segment",
    "segment_embedding": "mocap_seq2seq.pipeline:segment_embedding",
    "oracle_parameters": "mocap_seq2seq.pipeline:oracle_parameters",
    "compare_sequence": "mocap_seq2seq.pipeline:compare_sequence",
    "find_takes": "mocap_seq2seq.takes:find_takes",
    "segment_takes": "mocap_seq2seq.takes:segment_takes",
    "collection_segments": "mocap_seq2seq.segment.collection:collection_segments",
    # modules under the names of the first, flat layout (the README's earlier example)
    "sources": "mocap_seq2seq.data.sources",
    "training": "mocap_seq2seq.model.training",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    target = _PUBLIC.get(name)
    if target is None:
        raise AttributeError(f"module 'mocap_seq2seq' has no attribute {name!r}")
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
