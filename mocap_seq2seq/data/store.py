"""The HDF5 layout of converted motion capture, its reader, writer and catalogue.

Layout (``LAYOUT = "mocap_seq2seq/1"``), one file per collection::

    /                         attrs: layout, collection, description
    /skeleton/                optional: joint_names, parents, offsets
                              (+ expmap_columns, root_position_columns,
                              attr offset_scale), where the format has one
    /sequences/<name>/        attrs: kind ("take" | "trial" | "sequence"),
                              n_frames, has_frames, frame_rate (NaN = unknown),
                              source_file, action ("" = several or unknown),
                              take (-1 = none)
        frames                float32 (n_frames, n_channels), gzip + shuffle;
                              absent when the frames are not available
        labels                int32 (n_frames,), optional per-frame labels
        action_names          label -> action name (utf-8 strings)
        segments/start, end, earliest, latest, label
                              int32 (n_segments,); segment i is frames
                              start..end-1; earliest..latest is the tolerance
                              window of the transition at ``end`` (-1 for the
                              last segment)

The shipped files are ``data/cmu_actions.h5`` (the case-(i) single-action
takes, named ``<action>_<take>``) and ``data/cmu_subject86.h5`` (the
subject-86 trials, named ``01`` .. ``14``). Writing is deterministic (no
timestamps; same input, same bytes) and atomic.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import h5py
import numpy as np

from mocap_seq2seq.atomic import atomic_hdf5, is_locked_by_a_writer
from mocap_seq2seq.data.formats import cmu
from mocap_seq2seq.data.resample import (
    check_rate,
    default_layout,
    resample_frames,
    resample_index,
    resample_labels,
    resampled_length,
)
from mocap_seq2seq.errors import (
    BadDataError,
    BusyError,
    DataFileError,
    NoFramesError,
    OutputExistsError,
    UnknownNameError,
    UsageError,
)
from mocap_seq2seq.motion.skeleton import Skeleton, skeleton_from_json
from mocap_seq2seq.paths import resolve_data_dir
from mocap_seq2seq.validation import check_finite, check_float32_range, check_frames

LAYOUT = "mocap_seq2seq/1"
ACTIONS_FILE = "cmu_actions.h5"
SUBJECT86_FILE = "cmu_subject86.h5"
_COMPRESSION = {"compression": "gzip", "compression_opts": 6, "shuffle": True}


@dataclass(frozen=True)
class SegmentTable:
    """Annotated segments of a sequence (arrays of length ``n_segments``)."""

    start: np.ndarray
    end: np.ndarray
    earliest: np.ndarray
    latest: np.ndarray
    label: np.ndarray

    @property
    def n_segments(self) -> int:
        return int(self.start.size)

    def boundaries(self) -> np.ndarray:
        """First frames of every segment but the first."""
        return self.start[1:].copy()

    def tolerance_windows(self) -> np.ndarray:
        """``(n_segments - 1, 2)`` inclusive earliest..latest frames of each boundary."""
        return np.stack([self.earliest[:-1], self.latest[:-1]], axis=1)


@dataclass(frozen=True)
class Sequence:
    """One sequence of a collection: frames plus what is known about them.

    ``frames`` is ``(n_frames, n_channels)`` float32, or ``None`` when the
    frames are not available (subject-86 trials 02, 04, 06, 08).
    """

    name: str
    kind: str
    n_frames: int
    frames: np.ndarray | None
    frame_rate: float | None = None
    action: str | None = None
    take: int | None = None
    source_file: str = ""
    labels: np.ndarray | None = None
    action_names: tuple[str, ...] = ()
    segments: SegmentTable | None = None

    @property
    def n_channels(self) -> int | None:
        return None if self.frames is None else int(self.frames.shape[1])

    @property
    def actions(self) -> tuple[str, ...]:
        """Distinct actions of the sequence, in order of first appearance."""
        if self.action:
            return (self.action,)
        return self.action_names


@dataclass
class Catalogue:
    """What a data folder holds, without reading any frames."""

    data_dir: Path
    takes: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # action -> (take, n)
    trials: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def actions(self) -> list[str]:
        return sorted(self.takes)


# ----------------------------------------------------------------------------- writing


def write_collection(
    path: str | os.PathLike[str],
    sequences: Iterable[Sequence],
    *,
    collection: str,
    description: str = "",
    skeleton: Skeleton | None = None,
    overwrite: bool = False,
) -> Path:
    """Write sequences to one HDF5 file in the toolkit layout, atomically.

    Args:
        path: the file to write.
        sequences: the sequences, written in the order given.
        collection: a short name for the collection (stored as an attribute).
        description: free text stored with the file (provenance, credits).
        skeleton: the kinematic tree of the frames' format, where known.
        overwrite: replace an existing file; without it an existing file is an error.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(
            f"'{path}' already exists.",
            "a new output path",
            "Pass --overwrite to replace it.",
        )
    # libver "earliest" and no timestamps make the bytes a function of the content,
    # and same_bytes keeps them those of the committed data/ files.
    with atomic_hdf5(path, same_bytes=True, libver="earliest", track_order=False) as handle:
        handle.attrs["layout"] = LAYOUT
        handle.attrs["collection"] = collection
        handle.attrs["description"] = description
        if skeleton is not None:
            _write_skeleton(handle, skeleton)
        group = _create_group(handle, "sequences")
        for sequence in sequences:
            _write_sequence(group, sequence)
    return path


def _create_group(parent: h5py.Group, name: str) -> h5py.Group:
    properties = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    properties.set_obj_track_times(False)
    group_id = h5py.h5g.create(parent.id, name.encode(), gcpl=properties)
    return h5py.Group(group_id)


def _dataset(group: h5py.Group, name: str, data: np.ndarray, compress: bool = True) -> None:
    data = np.asarray(data)
    if data.dtype.kind == "U":
        data = data.astype(h5py.string_dtype("utf-8"))
        compress = False
    options = _COMPRESSION if compress and data.size > 64 else {}
    group.create_dataset(name, data=data, track_times=False, **options)


def _write_skeleton(handle: h5py.File, skeleton: Skeleton) -> None:
    group = _create_group(handle, "skeleton")
    _dataset(group, "joint_names", np.array(skeleton.joint_names, dtype=str), compress=False)
    _dataset(group, "parents", np.asarray(skeleton.parents, dtype=np.int32))
    _dataset(group, "offsets", np.asarray(skeleton.offsets, dtype=np.float64))
    if skeleton.expmap_columns is not None:
        _dataset(group, "expmap_columns", np.asarray(skeleton.expmap_columns, dtype=np.int32))
    if skeleton.root_position_columns is not None:
        columns = np.asarray(skeleton.root_position_columns, dtype=np.int32)
        _dataset(group, "root_position_columns", columns)
    group.attrs["offset_scale"] = float(skeleton.offset_scale)


def _write_sequence(parent: h5py.Group, sequence: Sequence) -> None:
    if "/" in sequence.name or sequence.name in ("", ".", ".."):
        raise BadDataError(
            f"Sequence name {sequence.name!r} is not usable.", "a name without '/', not '.' or '..'"
        )
    group = _create_group(parent, sequence.name)
    group.attrs["kind"] = sequence.kind
    group.attrs["n_frames"] = int(sequence.n_frames)
    group.attrs["has_frames"] = sequence.frames is not None
    group.attrs["frame_rate"] = float("nan") if sequence.frame_rate is None else sequence.frame_rate
    group.attrs["source_file"] = sequence.source_file
    group.attrs["action"] = sequence.action or ""
    group.attrs["take"] = -1 if sequence.take is None else int(sequence.take)
    if sequence.frames is not None:
        shape = np.shape(sequence.frames)
        if len(shape) != 2 or shape[0] != sequence.n_frames:
            raise BadDataError(
                f"Sequence '{sequence.name}' has frames of shape {shape}.",
                f"(n_frames={sequence.n_frames}, n_channels)",
            )
        name = f"'{sequence.name}'"
        checked = check_frames(sequence.frames, name=name)
        check_float32_range(checked, name=name)
        frames = checked.astype(np.float32)
        _dataset(group, "frames", frames)
    if sequence.labels is not None:
        _dataset(group, "labels", np.asarray(sequence.labels, dtype=np.int32))
    if sequence.action_names:
        _dataset(group, "action_names", np.array(sequence.action_names, dtype=str), compress=False)
    if sequence.segments is not None:
        segments = _create_group(group, "segments")
        for key in ("start", "end", "earliest", "latest", "label"):
            _dataset(segments, key, np.asarray(getattr(sequence.segments, key), dtype=np.int32))


# ----------------------------------------------------------------------------- reading


@contextmanager
def open_collection(path: str | os.PathLike[str]) -> Iterator[h5py.File]:
    """Open a collection file for reading, with one clear error for each way it can be bad."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(
            f"Data file '{path}' does not exist.",
            "an HDF5 file written by `mocap convert`",
            "Check the path, or run `mocap info` to see the shipped data.",
        )
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        if is_locked_by_a_writer(error):
            raise BusyError(
                f"'{path}' is open for writing in another process.",
                "a data file no other process is writing",
                "Wait for that process to finish (or close it), then try again.",
            ) from error
        raise DataFileError(
            f"'{path}' is not a readable HDF5 file (it may be truncated or of another format).",
            "an HDF5 file written by `mocap convert`",
            "Convert the source again with `mocap convert`.",
        ) from error
    try:
        if handle.attrs.get("layout") != LAYOUT or "sequences" not in handle:
            raise DataFileError(
                f"'{path}' is HDF5 but not in the toolkit's layout.",
                f"layout '{LAYOUT}' with a /sequences group",
                "Convert the source with `mocap convert`.",
            )
        for name, group in handle["sequences"].items():
            problem = _layout_problem(group)
            if problem is not None:
                raise DataFileError(
                    f"Sequence '{name}' in '{path}' is damaged or of the wrong layout: {problem}.",
                    f"the layout '{LAYOUT}'",
                    "Convert the source again with `mocap convert`.",
                )
        yield handle
    finally:
        handle.close()


#: Attributes of every sequence group and the types they must have.
_SEQUENCE_ATTRIBUTES: dict[str, tuple[type, ...]] = {
    "kind": (str,),
    "n_frames": (int, np.integer),
    "has_frames": (bool, np.bool_),
    "frame_rate": (float, np.floating),
    "source_file": (str,),
    "action": (str,),
    "take": (int, np.integer),
}


def _layout_problem(group: h5py.Group | h5py.Dataset) -> str | None:
    """What is wrong with one sequence group of a collection, or None.

    The one place where a read collection is checked (attributes only, and
    the shapes and types of the datasets; the values of the frames are checked
    when they are read), so that every reader sees the same file.
    """
    if not isinstance(group, h5py.Group):
        return "it is not a group"
    attrs = group.attrs
    for key, types in _SEQUENCE_ATTRIBUTES.items():
        if key not in attrs:
            return f"the attribute '{key}' is missing"
        value = attrs[key]
        if not isinstance(value, types) or (types == (int, np.integer) and isinstance(value, bool)):
            return f"the attribute '{key}' is {value!r}"
    n_frames = int(attrs["n_frames"])
    if n_frames < 0:
        return f"n_frames is {n_frames}"
    has_frames = "frames" in group
    if bool(attrs["has_frames"]) != has_frames:
        state = "there" if has_frames else "missing"
        return f"has_frames is {bool(attrs['has_frames'])} but the frames are {state}"
    if has_frames:
        frames = group["frames"]
        if not isinstance(frames, h5py.Dataset) or frames.ndim != 2 or frames.shape[0] != n_frames:
            return f"the frames are not an array of {n_frames} rows"
        if frames.dtype.kind != "f":
            return f"the frames are of type {frames.dtype} (complex or not real numbers)"
    if "labels" in group:
        labels = group["labels"]
        if (
            not isinstance(labels, h5py.Dataset)
            or labels.ndim != 1
            or labels.dtype.kind not in "iu"
        ):
            return f"the labels are of type {labels.dtype}, not integers"
        if labels.shape[0] != n_frames:
            return f"{labels.shape[0]} labels for {n_frames} frames"
    return None


def sequence_names(path: str | os.PathLike[str], *, with_frames: bool = False) -> list[str]:
    """Names of the sequences in a collection file, in stored order (optionally only those
    whose frames are available)."""
    with open_collection(path) as handle:
        group = handle["sequences"]
        return [
            name
            for name in group.keys()
            if not with_frames or bool(group[name].attrs["has_frames"])
        ]


def collection_frame_rate(path: str | os.PathLike[str]) -> float | None:
    """The frame rate shared by a collection's sequences (None if unknown or mixed)."""
    with open_collection(path) as handle:
        stored = {float(group.attrs["frame_rate"]) for group in handle["sequences"].values()}
        rates = {_documented_rate(handle, rate) for rate in stored}
    rate = rates.pop() if len(rates) == 1 else None
    return None if rate is None or math.isnan(rate) else rate


def _documented_rate(handle: h5py.File, stored: float) -> float:
    """``stored``, or the documented rate of a known source that states none
    (:data:`~mocap_seq2seq.data.formats.cmu.DOCUMENTED_FRAME_RATES`)."""
    if not math.isnan(stored):
        return stored
    return cmu.DOCUMENTED_FRAME_RATES.get(str(handle.attrs.get("collection", "")), math.nan)


def read_sequence(
    path: str | os.PathLike[str], name: str, *, require_frames: bool = True
) -> Sequence:
    """Read one sequence from a collection file.

    Args:
        path: the HDF5 file.
        name: the sequence name (see :func:`sequence_names`).
        require_frames: raise :class:`NoFramesError` when the frames are not available.
    """
    with open_collection(path) as handle:
        group = handle["sequences"]
        if name not in group:
            raise UnknownNameError(
                f"Unknown sequence '{name}' in '{path}'.",
                f"one of {', '.join(group.keys())}",
            )
        try:
            sequence = _read_sequence(group[name], name)
            if sequence.frame_rate is None:
                documented = _documented_rate(handle, math.nan)
                if not math.isnan(documented):
                    sequence = replace(sequence, frame_rate=documented)
        except (KeyError, OSError, ValueError, TypeError) as error:
            raise DataFileError(
                f"Sequence '{name}' in '{path}' is damaged or of the wrong layout ({error}).",
                f"the layout '{LAYOUT}'",
                "Convert the source again with `mocap convert`.",
            ) from error
    if require_frames and sequence.frames is None:
        raise NoFramesError(
            f"No frames are available for '{name}' (only its ground truth is).",
            "a sequence with frames",
            "Run `mocap info` to list the ones that have frames.",
        )
    return sequence


def _read_sequence(group: h5py.Group, name: str) -> Sequence:
    attrs = group.attrs
    frame_rate = float(attrs["frame_rate"])
    take = int(attrs["take"])
    segments = None
    if "segments" in group:
        segments = SegmentTable(
            **{key: group["segments"][key][()].astype(np.int64) for key in _SEGMENT_KEYS}
        )
    frames = group["frames"][()] if "frames" in group else None
    if frames is not None:
        if frames.ndim != 2 or frames.shape[0] != int(attrs["n_frames"]):
            raise ValueError(f"frames of shape {frames.shape}")
        check_finite(frames, name=f"'{name}'")
    return Sequence(
        name=name,
        kind=str(attrs["kind"]),
        n_frames=int(attrs["n_frames"]),
        frames=frames,
        frame_rate=None if np.isnan(frame_rate) else frame_rate,
        action=str(attrs["action"]) or None,
        take=None if take < 0 else take,
        source_file=str(attrs["source_file"]),
        labels=group["labels"][()].astype(np.int64) if "labels" in group else None,
        action_names=tuple(
            value.decode() if isinstance(value, bytes) else str(value)
            for value in (group["action_names"][()] if "action_names" in group else ())
        ),
        segments=segments,
    )


_SEGMENT_KEYS = ("start", "end", "earliest", "latest", "label")


def read_skeleton(path: str | os.PathLike[str]) -> Skeleton | None:
    """The skeleton stored with a collection, or ``None`` when the format has none."""
    with open_collection(path) as handle:
        if "skeleton" not in handle:
            return None
        group = handle["skeleton"]
        return Skeleton(
            joint_names=tuple(v.decode() for v in group["joint_names"][()]),
            parents=group["parents"][()].astype(np.int64),
            offsets=group["offsets"][()],
            expmap_columns=group["expmap_columns"][()] if "expmap_columns" in group else None,
            root_position_columns=(
                group["root_position_columns"][()] if "root_position_columns" in group else None
            ),
            offset_scale=float(group.attrs.get("offset_scale", 1.0)),
        )


def resample_sequence(
    sequence: Sequence,
    target_rate: float,
    *,
    skeleton: Skeleton | None = None,
    source_rate: float | None = None,
) -> Sequence:
    """The sequence at ``target_rate`` frames per second (see :mod:`mocap_seq2seq.data.resample`).

    Frames are resampled with rotations as rotations; per-frame labels take the
    nearest source frame's; segment bounds and tolerance windows are scaled to
    the new rate and rounded (so a window keeps its length in seconds).

    Args:
        sequence: the sequence; its ``frame_rate`` is the source rate unless
            ``source_rate`` is given.
        target_rate: frames per second wanted.
        skeleton: gives the rotation columns (``expmap_columns``) when known.
        source_rate: overrides ``sequence.frame_rate``.
    """
    target = check_rate(target_rate)
    rate = source_rate if source_rate is not None else sequence.frame_rate
    if rate is None:
        raise UsageError(
            f"Sequence '{sequence.name}' has no known frame rate, so it cannot be resampled.",
            "a stored frame rate",
            "Pass --frame-rate with the rate it was captured at.",
        )
    rate = check_rate(rate, "--frame-rate")
    n_out = resampled_length(sequence.n_frames, rate, target)
    frames = None
    if sequence.frames is not None:
        columns = skeleton.expmap_columns if skeleton is not None else None
        layout = default_layout(int(sequence.frames.shape[1]), columns)
        frames = resample_frames(sequence.frames, rate, target, layout=layout)
    labels = None if sequence.labels is None else resample_labels(sequence.labels, rate, target)
    segments = None
    if sequence.segments is not None:
        table = sequence.segments

        def scale(values: np.ndarray) -> np.ndarray:
            mapped = resample_index(values, rate, target, n_out)
            return np.where(np.asarray(values) < 0, -1, mapped)

        start = scale(table.start)
        start[0] = 0
        end = np.append(start[1:], n_out)
        segments = SegmentTable(
            start=start,
            end=end,
            earliest=scale(table.earliest),
            latest=scale(table.latest),
            label=np.asarray(table.label).copy(),
        )
        if labels is not None:
            # Labels follow the scaled segments, so the two never disagree by a frame.
            labels = np.repeat(np.asarray(table.label), end - start)
    return replace(
        sequence,
        n_frames=n_out,
        frames=frames,
        frame_rate=target,
        labels=labels,
        segments=segments,
    )


def resample_collection(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    target_rate: float,
    *,
    source_rate: float | None = None,
    overwrite: bool = False,
) -> Path:
    """Resample every sequence of a collection file into ``output`` (may be ``source``).

    ``source_rate`` overrides the stored rates; a sequence with no rate is refused.
    """
    target = check_rate(target_rate)
    skeleton = read_skeleton(source)
    sequences = [
        resample_sequence(
            read_sequence(source, name, require_frames=False),
            target,
            skeleton=skeleton,
            source_rate=source_rate,
        )
        for name in sequence_names(source)
    ]
    with open_collection(source) as handle:
        collection = str(handle.attrs.get("collection", ""))
        description = str(handle.attrs.get("description", ""))
    description = f"{description} Resampled to {target:g} fps.".strip()
    same = Path(source).resolve() == Path(output).resolve()
    return write_collection(
        output,
        sequences,
        collection=collection,
        description=description,
        skeleton=skeleton,
        overwrite=overwrite or same,
    )


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes: the data hash stored with runs and models."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def takes_catalogue(path: str | os.PathLike[str]) -> dict[str, list[tuple[int, int]]]:
    """Single-action takes of a collection: action -> ``[(take, n_frames), ...]``.

    Only sequences with frames, an action and a take number count (the CMU
    takes, a converted Human3.6M folder, files converted with ``--action``).
    """
    found: dict[str, list[tuple[int, int]]] = {}
    with open_collection(path) as handle:
        for group in handle["sequences"].values():
            action, take = str(group.attrs["action"]), int(group.attrs["take"])
            if action and take >= 0 and bool(group.attrs["has_frames"]):
                found.setdefault(action, []).append((take, int(group.attrs["n_frames"])))
    return {action: sorted(takes) for action, takes in sorted(found.items())}


def take_index(path: str | os.PathLike[str]) -> dict[tuple[str, int], str]:
    """``(action, take) -> sequence name`` for the takes of a collection (names are free-form)."""
    index: dict[tuple[str, int], str] = {}
    with open_collection(path) as handle:
        for name, group in handle["sequences"].items():
            action, take = str(group.attrs["action"]), int(group.attrs["take"])
            if action and take >= 0:
                index[(action, take)] = name
    return index


# ----------------------------------------------------------------------------- the shipped data


def normalize_trial(trial: str | int) -> str:
    """Subject-86 trial names are two digits: ``1``, ``"1"``, ``"86_01"`` -> ``"01"``.

    Example:
    >>> normalize_trial(1), normalize_trial("86_01"), normalize_trial("14")
    ('01', '01', '14')
    """
    text = str(trial).strip()
    if text.startswith("86_"):
        text = text[3:]
    # isascii: "²" and "٣" are digits to str.isdigit() but not to int().
    return f"{int(text):02d}" if text.isascii() and text.isdigit() else text


def load_trial(trial: str | int, data_dir: str | os.PathLike[str] | None = None) -> Sequence:
    """Frames, labels and segments of a subject-86 trial.

    Example:
    >>> trial = load_trial("01")
    >>> trial.frames.shape, trial.frame_rate, trial.action_names[:2]
    ((4579, 96), 120.0, ('walking', 'jump_forward'))
    """
    path = resolve_data_dir(data_dir) / SUBJECT86_FILE
    name = normalize_trial(trial)
    names = sequence_names(path)
    if name not in names:
        raise UnknownNameError(
            f"Unknown subject-86 trial '{trial}'.",
            f"one of {', '.join(names)}",
            "Run `mocap info` to see which trials have frames.",
        )
    return read_sequence(path, name)


def load_take(action: str, take: int, data_dir: str | os.PathLike[str] | None = None) -> Sequence:
    """Frames of one single-action take (case i).

    Example:
    >>> load_take("walking", 1).frames.shape[1]
    117
    """
    path = resolve_data_dir(data_dir) / ACTIONS_FILE
    names = sequence_names(path)
    actions = sorted({name.rsplit("_", 1)[0] for name in names})
    if action not in actions:
        raise UnknownNameError(f"Unknown action '{action}'.", f"one of {', '.join(actions)}")
    name = f"{action}_{int(take)}"
    if name not in names:
        takes = [n.rsplit("_", 1)[1] for n in names if n.rsplit("_", 1)[0] == action]
        raise UnknownNameError(
            f"Action '{action}' has no take {take}.", f"one of {', '.join(takes)}"
        )
    return read_sequence(path, name)


def load_action_takes(
    action: str, data_dir: str | os.PathLike[str] | None = None
) -> list[Sequence]:
    """Every take of one action, in take order."""
    path = resolve_data_dir(data_dir) / ACTIONS_FILE
    names = [n for n in sequence_names(path) if n.rsplit("_", 1)[0] == action]
    if not names:
        load_take(action, 0, data_dir)  # raises the unknown-action error with the list
    return sorted((read_sequence(path, n) for n in names), key=lambda s: s.take or 0)


def catalogue(data_dir: str | os.PathLike[str] | None = None) -> Catalogue:
    """List the shipped takes and trials with their sizes, reading no frames."""
    folder = resolve_data_dir(data_dir)
    result = Catalogue(folder)
    actions_path, trials_path = folder / ACTIONS_FILE, folder / SUBJECT86_FILE
    if not actions_path.exists() and not trials_path.exists():
        raise DataFileError(
            f"'{folder}' holds neither {ACTIONS_FILE} nor {SUBJECT86_FILE}.",
            "the converted CMU data",
            "Run `mocap convert PATH/TO/cmu` or pass --data-dir.",
        )
    if actions_path.exists():
        with open_collection(actions_path) as handle:
            for group in handle["sequences"].values():
                action = str(group.attrs["action"])
                result.takes.setdefault(action, []).append(
                    (int(group.attrs["take"]), int(group.attrs["n_frames"]))
                )
    if trials_path.exists():
        with open_collection(trials_path) as handle:
            for name, group in handle["sequences"].items():
                names = [v.decode() for v in group["action_names"][()]]
                result.trials[name] = {
                    "n_frames": int(group.attrs["n_frames"]),
                    "has_frames": bool(group.attrs["has_frames"]),
                    "frame_rate": float(group.attrs["frame_rate"]),
                    "n_segments": int(group["segments"]["start"].shape[0]),
                    "actions": names,
                }
    return result


# ----------------------------------------------------------------------------- conversion


def trial_from_ground_truth(
    trial: str, truth: cmu.GroundTruth, frames: np.ndarray | None, source_file: str
) -> Sequence:
    """Build a subject-86 trial: labels from best frames, the data's row count wins.

    The annotated total is one off from the ``.mat`` row count in eight
    trials; the frames are right, so the last segment runs to the last frame.
    """
    n_frames = truth.annotated_n_frames if frames is None else int(frames.shape[0])
    action_names: list[str] = []
    for segment in truth.segments:
        if segment.action not in action_names:
            action_names.append(segment.action)
    starts = [0] + [int(s.best) for s in truth.segments[:-1]]  # type: ignore[arg-type]
    ends = starts[1:] + [n_frames]
    if any(end <= start for start, end in zip(starts, ends)):
        raise BadDataError(
            f"Trial {trial}: ground-truth boundaries {starts[1:]} do not increase "
            f"inside 0..{n_frames}.",
            "best transition frames in increasing order",
        )
    segment_labels = [action_names.index(s.action) for s in truth.segments]
    table = SegmentTable(
        start=np.array(starts),
        end=np.array(ends),
        earliest=np.array([-1 if s.earliest is None else s.earliest for s in truth.segments]),
        latest=np.array([-1 if s.latest is None else s.latest for s in truth.segments]),
        label=np.array(segment_labels),
    )
    labels = np.repeat(np.array(segment_labels), np.array(ends) - np.array(starts))
    return Sequence(
        name=trial,
        kind="trial",
        n_frames=n_frames,
        frames=frames,
        frame_rate=cmu.SUBJECT86_FRAME_RATE,
        source_file=source_file,
        labels=labels,
        action_names=tuple(action_names),
        segments=table,
    )


def cmu38_skeleton_from_json(path: str | os.PathLike[str]) -> Skeleton:
    """The 38-joint tree of the 117-column format, from a ``skeleton_cmu38.json`` file."""
    return skeleton_from_json(Path(path).read_text())


def convert_cmu(
    source_dir: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Convert a folder laid out like ``../shared/cmu`` into the toolkit's HDF5 files.

    Writes ``cmu_actions.h5`` (single-action takes) and ``cmu_subject86.h5``
    (trials with labels and segments; trials without frames are recorded with
    their ground truth only), each only if the source has such files.

    Args:
        source_dir: the folder with ``actions/`` and/or ``subject86/``.
        output_dir: where the HDF5 files go (created if needed).
        overwrite: replace existing output files.
        progress: called with the name of each file read.

    Returns:
        The paths written.
    """
    folder = cmu.scan_cmu_folder(source_dir)
    output = Path(output_dir)
    targets = []
    if folder.takes:
        targets.append(output / ACTIONS_FILE)
    if folder.trials:
        targets.append(output / SUBJECT86_FILE)
    for target in targets:  # refuse before doing any work
        if target.exists() and not overwrite:
            raise OutputExistsError(
                f"'{target}' already exists.", "a new output", "Pass --overwrite to replace it."
            )
    root = Path(source_dir)
    written = []
    if folder.takes:
        takes = []
        for file in sorted(folder.takes, key=lambda t: (t.action, t.take)):
            if progress:
                progress(str(file.path.relative_to(root)))
            frames = cmu.read_expmap_text(file.path)
            takes.append(
                Sequence(
                    name=f"{file.action}_{file.take}",
                    kind="take",
                    n_frames=int(frames.shape[0]),
                    frames=frames,
                    frame_rate=None,  # the Li et al. release does not state it
                    action=file.action,
                    take=file.take,
                    source_file=file.path.relative_to(root).as_posix(),
                )
            )
        skeleton = cmu38_skeleton_from_json(folder.skeleton_path) if folder.skeleton_path else None
        written.append(
            write_collection(
                output / ACTIONS_FILE,
                takes,
                collection="cmu_actions",
                description=(
                    "CMU Graphics Lab Motion Capture Database, single-action takes in the "
                    "117-channel exponential-map format of Li et al., CVPR 2018."
                ),
                skeleton=skeleton,
                overwrite=overwrite,
            )
        )
    if folder.trials:
        trials = []
        for files in folder.trials:
            if progress:
                progress(str(files.ground_truth_path.relative_to(root)))
            truth = cmu.read_ground_truth(files.ground_truth_path)
            frames = None
            source = files.ground_truth_path.relative_to(root).as_posix()
            if files.frames_path is not None:
                if progress:
                    progress(str(files.frames_path.relative_to(root)))
                frames = cmu.read_subject86_mat(files.frames_path)
                source = files.frames_path.relative_to(root).as_posix()
            trials.append(trial_from_ground_truth(files.trial, truth, frames, source))
        written.append(
            write_collection(
                output / SUBJECT86_FILE,
                trials,
                collection="cmu_subject86",
                description=(
                    "CMU Graphics Lab Motion Capture Database, subject 86, exponential-map "
                    "channels at 120 fps; ground truth of Barbic et al., Graphics Interface 2004."
                ),
                overwrite=overwrite,
            )
        )
    return written
