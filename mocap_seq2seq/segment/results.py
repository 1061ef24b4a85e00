"""Files of a clustering: per-frame labels and segments that other tools read.

A clustering folder (written atomically, file by file)::

    clustering.json   method, parameters, K mode, protocol, frame rate, embedding it came from
    frame_labels.csv  frame,label (one row per frame)
    segments.csv      start,end,label,start_s,end_s (frames, end exclusive; then the
                      same bounds in seconds, when the frame rate is known)
    segments.json     [{"start": .., "end": .., "label": .., "start_s": .., "end_s": ..}, ...]

``segments.csv`` reads back as a labels file (``--labels``): its seconds are
beside the frames, which stay the reference.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from mocap_seq2seq.atomic import write_json, write_text
from mocap_seq2seq.errors import DataFileError, OutputExistsError
from mocap_seq2seq.labels import labels_to_segments
from mocap_seq2seq.segment.names import FEATURE_HELP
from mocap_seq2seq.units import frames_to_seconds

CLUSTERING_FILE = "clustering.json"
LABELS_FILE = "frame_labels.csv"
SEGMENTS_CSV = "segments.csv"
SEGMENTS_JSON = "segments.json"


def write_clustering(
    folder: str | os.PathLike[str],
    labels: np.ndarray,
    metadata: dict[str, Any],
    *,
    overwrite: bool = False,
    frame_rate: float | None = None,
) -> Path:
    """Write the labels, segments and metadata of a clustering into ``folder``.

    With ``frame_rate``, every segment's start and end are also given in
    seconds (``start_s``, ``end_s``, to 4 decimals), beside the frames.
    """
    folder = Path(folder)
    if (folder / CLUSTERING_FILE).exists() and not overwrite:
        raise OutputExistsError(
            f"'{folder}' already holds a clustering.", fix="Pass --overwrite to replace it."
        )
    rows = segment_rows(labels, frame_rate)
    frames = io.StringIO()
    writer = csv.writer(frames, lineterminator="\n")
    writer.writerow(["frame", "label"])
    writer.writerows(enumerate(int(v) for v in labels))
    table = io.StringIO()
    writer = csv.DictWriter(
        table, fieldnames=list(rows[0]) if rows else ["start", "end", "label"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    write_text(folder / LABELS_FILE, frames.getvalue())
    write_text(folder / SEGMENTS_CSV, table.getvalue())
    write_json(folder / SEGMENTS_JSON, rows)
    # The metadata goes last: its presence says the folder is complete.
    write_json(folder / CLUSTERING_FILE, metadata)
    return folder


def segment_rows(labels: np.ndarray, frame_rate: float | None = None) -> list[dict[str, Any]]:
    """The segments of frame labels as rows: frames, and seconds beside them at ``frame_rate``.

    Example:
    >>> segment_rows(np.array([0, 0, 0, 1]), frame_rate=2.0)
    [{'start': 0, 'end': 3, 'label': 0, 'start_s': 0.0, 'end_s': 1.5}, \
{'start': 3, 'end': 4, 'label': 1, 'start_s': 1.5, 'end_s': 2.0}]
    """
    rows: list[dict[str, Any]] = []
    for start, end, label in labels_to_segments(labels):
        row: dict[str, Any] = {"start": start, "end": end, "label": label}
        if frame_rate:
            row["start_s"] = round(frames_to_seconds(start, frame_rate), 4)
            row["end_s"] = round(frames_to_seconds(end, frame_rate), 4)
        rows.append(row)
    return rows


def read_clustering(folder: str | os.PathLike[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """Per-frame labels and metadata of a clustering folder."""
    folder = Path(folder)
    try:
        metadata = json.loads((folder / CLUSTERING_FILE).read_text())
        with open(folder / LABELS_FILE, newline="") as handle:
            rows = list(csv.reader(handle))[1:]
        labels = np.array([int(label) for _, label in rows], dtype=np.int64)
    except FileNotFoundError as error:
        raise DataFileError(
            f"'{folder}' has no {Path(error.filename or CLUSTERING_FILE).name}: "
            "it is not a complete clustering folder.",
            f"a folder written by `mocap cluster` ({CLUSTERING_FILE}, {LABELS_FILE})",
            "Run `mocap cluster` first.",
        ) from error
    except (OSError, ValueError) as error:
        raise DataFileError(
            f"'{folder}' is not a complete clustering folder ({error}).",
            f"a folder written by `mocap cluster` ({CLUSTERING_FILE}, {LABELS_FILE})",
            "Run `mocap cluster` first.",
        ) from error
    problem = _clustering_problem(metadata)
    if problem is not None:
        raise DataFileError(
            f"'{folder / CLUSTERING_FILE}' is damaged: {problem}.",
            f"a {CLUSTERING_FILE} written by `mocap cluster`",
            "Run `mocap cluster` again.",
        )
    return labels, metadata


#: Fields of clustering.json that are read back, and their types (None: may be null).
_CLUSTERING_FIELDS: dict[str, tuple[type, ...]] = {
    "embedding": (str,),
    "method": (str,),
    "k_mode": (str,),
}
_OPTIONAL_CLUSTERING_FIELDS: dict[str, tuple[type, ...]] = {
    "embedding_absolute": (str,),
    "sequence": (str, type(None)),
    "paper_protocol": (bool,),
    "parameters": (dict,),
    "features": (str,),
    "frame_rate": (float, int, type(None)),
}


def _clustering_problem(metadata: Any) -> str | None:
    """What is wrong with a read clustering.json, or None (the one place it is checked)."""
    if not isinstance(metadata, dict):
        return f"it holds a {type(metadata).__name__}, not an object"
    for key, types in _CLUSTERING_FIELDS.items():
        if key not in metadata:
            return f"'{key}' is missing"
        if not isinstance(metadata[key], types) or not metadata[key]:
            return f"'{key}' is {json.dumps(metadata[key])}"
    for key, types in _OPTIONAL_CLUSTERING_FIELDS.items():
        if key in metadata and not isinstance(metadata[key], types):
            return f"'{key}' is {json.dumps(metadata[key])}"
    if "features" in metadata and metadata["features"] not in FEATURE_HELP:
        return f"'features' is {json.dumps(metadata['features'])}"
    if "\0" in metadata["embedding"] or "\0" in metadata.get("embedding_absolute", ""):
        return "the embedding path holds a NUL character"
    return None


def clustering_embedding_path(folder: str | os.PathLike[str], metadata: dict[str, Any]) -> Path:
    """The embedding file a clustering came from (stored relative to the folder)."""
    relative = Path(folder) / metadata["embedding"]
    if relative.is_file() or "embedding_absolute" not in metadata:
        return relative
    return Path(metadata["embedding_absolute"])
