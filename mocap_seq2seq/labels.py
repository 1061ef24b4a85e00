"""The label conventions of the toolkit, written once.

* Frames come first: a sequence is an array of shape ``(n_frames, n_channels)``.
* Frame labels are one integer per frame, shape ``(n_frames,)``.
* A *segment* is a maximal run of frames; a *boundary* is the 0-based index of
  the first frame of a new segment (so 0 is never a boundary).
* A *cluster* is a label value; an *action* is a ground-truth name.

Subject-86 ground truth gives, for each transition, the earliest, best and
latest acceptable frame; the best frame is the boundary (the first frame of
the next segment), and ``min..max`` of the triple is the tolerance window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.units import REFERENCE_FRAME_RATE, seconds_to_frames

#: Half width, in frames, of a boundary's tolerance window where none is annotated
#: (case-(i) joins, user labels): one target window of the paper's case-(i) model.
DEFAULT_TOLERANCE = 25
#: The same tolerance in seconds (about 0.21 s): 25 frames at the 120 fps of the CMU captures.
TOLERANCE_SECONDS = DEFAULT_TOLERANCE / REFERENCE_FRAME_RATE

#: Ground-truth names that denote the same action; the key is merged into the value.
ACTION_ALIASES: dict[str, str] = {"walk": "walking"}


def normalize_action_name(name: str, *, aliases: bool = True) -> str:
    """Strip stray spaces and, with ``aliases``, merge aliases (``"walk "`` -> ``"walking"``).

    The aliases are a fix of the CMU ground truth; user labels keep their names
    (``aliases=False``).

    Example:
    >>> normalize_action_name(" walk ")
    'walking'
    >>> normalize_action_name(" walk  fast", aliases=False)
    'walk fast'
    >>> normalize_action_name("knee shot")
    'knee shot'
    """
    stripped = " ".join(name.split())
    return ACTION_ALIASES.get(stripped, stripped) if aliases else stripped


def check_frame_labels(labels: Sequence[int] | np.ndarray, name: str = "labels") -> np.ndarray:
    """Return ``labels`` as a 1-D int64 array, refusing anything else."""
    array = np.asarray(labels)
    if array.ndim != 1:
        raise UsageError(
            f"The '{name}' must be one label per frame (a 1-D array). Got shape {array.shape}.",
            "shape (n_frames,)",
        )
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise UsageError(
                f"The '{name}' must be integers. Got values of type {array.dtype}.",
                "one integer per frame",
            )
    return array.astype(np.int64)


def labels_to_boundaries(labels: Sequence[int] | np.ndarray) -> np.ndarray:
    """Boundaries (first frames of new segments) of a frame labelling.

    Example:
    >>> labels_to_boundaries([0, 0, 1, 1, 1, 0])
    array([2, 5])
    """
    array = check_frame_labels(labels)
    return np.flatnonzero(array[1:] != array[:-1]) + 1


def labels_to_segments(labels: Sequence[int] | np.ndarray) -> list[tuple[int, int, int]]:
    """Segments as ``(start, end, label)`` with ``end`` exclusive.

    Example:
    >>> labels_to_segments([3, 3, 1, 1, 1, 3])
    [(0, 2, 3), (2, 5, 1), (5, 6, 3)]
    """
    array = check_frame_labels(labels)
    if array.size == 0:
        return []
    starts = np.concatenate([[0], labels_to_boundaries(array)])
    ends = np.concatenate([starts[1:], [array.size]])
    return [(int(s), int(e), int(array[s])) for s, e in zip(starts, ends)]


def boundaries_to_labels(
    boundaries: Sequence[int] | np.ndarray,
    n_frames: int,
    segment_labels: Sequence[int] | np.ndarray | None = None,
) -> np.ndarray:
    """Frame labels from boundaries; segment ``i`` gets ``segment_labels[i]`` (default ``i``).

    Example:
    >>> boundaries_to_labels([2, 5], 6)
    array([0, 0, 1, 1, 1, 2])
    >>> boundaries_to_labels([2, 5], 6, [7, 8, 7])
    array([7, 7, 8, 8, 8, 7])
    """
    points = np.asarray(boundaries, dtype=np.int64)
    if points.size and (points[0] <= 0 or points[-1] >= n_frames or np.any(np.diff(points) <= 0)):
        raise UsageError(
            f"Boundaries must increase strictly inside 1..{n_frames - 1}. Got {points.tolist()}.",
            "the 0-based first frames of each new segment",
        )
    n_segments = points.size + 1
    values = (
        np.arange(n_segments)
        if segment_labels is None
        else np.asarray(segment_labels, dtype=np.int64)
    )
    if values.shape != (n_segments,):
        raise UsageError(
            f"{n_segments} segments need {n_segments} segment labels. Got {values.size}.",
        )
    lengths = np.diff(np.concatenate([[0], points, [n_frames]]))
    return np.repeat(values, lengths)


def relabel_by_first_appearance(labels: Sequence[int] | np.ndarray) -> np.ndarray:
    """Renumber labels 0, 1, 2, ... in the order they first appear.

    This is how the paper's accuracy compares labelings.

    Example:
    >>> relabel_by_first_appearance([5, 5, 2, 9, 2])
    array([0, 0, 1, 2, 1])
    """
    array = check_frame_labels(labels)
    _, first_index, inverse = np.unique(array, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first_index))
    return order[inverse].astype(np.int64)


def tolerance_windows(
    boundaries: Sequence[int] | np.ndarray, tolerance: int = DEFAULT_TOLERANCE
) -> np.ndarray:
    """Windows ``[b - tolerance, b + tolerance]`` around known boundaries.

    For sequences without annotated windows (case (i) concatenations), where
    the joins are exact and a detected boundary within ``tolerance`` frames
    counts as found. The default of 25 frames is one target window of the
    paper's case (i) model, about 0.2 s of motion.

    Args:
        boundaries: true first frames of new segments, shape ``(n_true,)``.
        tolerance: half width in frames, ``>= 0``. Defaults to 25.

    Returns:
        int64 array of shape ``(n_true, 2)``.

    Example:
    >>> tolerance_windows([100, 250], tolerance=10)
    array([[ 90, 110],
           [240, 260]])
    """
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, np.integer)) or tolerance < 0:
        raise UsageError(
            f"The 'tolerance' of tolerance_windows must be a whole number of frames >= 0. "
            f"Got {tolerance!r}.",
            fix="Pass a --tolerance such as 25.",
        )
    points = np.asarray(boundaries)
    if points.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if points.ndim != 1:
        raise UsageError(
            f"The 'boundaries' of tolerance_windows must be 1-D. Got shape {points.shape}.",
            "shape (n_true,)",
        )
    points = points.astype(np.int64)
    return np.stack([points - tolerance, points + tolerance], axis=1)


def tolerance_frames(frame_rate: float | None) -> int:
    """:data:`TOLERANCE_SECONDS` in frames at ``frame_rate`` (25 when the rate is unknown).

    The commands refuse a sequence without a rate before it gets here
    (:func:`~mocap_seq2seq.units.require_frame_rate`); the frame fallback serves
    library callers with bare labels.

    Example:
    >>> tolerance_frames(120.0), tolerance_frames(60.0), tolerance_frames(None)
    (25, 12, 25)
    """
    if frame_rate is None:
        return DEFAULT_TOLERANCE
    return seconds_to_frames(TOLERANCE_SECONDS, frame_rate, minimum=0)


@dataclass(frozen=True)
class GroundTruth:
    """What is known of a sequence's actions: the answer evaluation compares against.

    One type for stored sequences, sources, concatenations and embeddings, so
    that the labels, their names and the boundary tolerance windows travel
    together and are built in one place. Only evaluation (and the paper's
    explicit protocol) may read it.

    Args:
        labels: ``(n_frames,)`` one integer per frame.
        action_names: the name of each label value (``action_names[label]``).
        tolerance_windows: ``(n_boundaries, 2)`` inclusive earliest..latest
            frame at which each true boundary counts as found.

    Example:
    >>> truth = GroundTruth.around_boundaries([0, 0, 1, 1, 1], ("walk", "run"), frame_rate=None)
    >>> truth.boundaries.tolist(), truth.tolerance_windows.tolist(), truth.n_actions
    ([2], [[-23, 27]], 2)
    """

    labels: np.ndarray
    action_names: tuple[str, ...] = ()
    tolerance_windows: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", check_frame_labels(self.labels))
        object.__setattr__(self, "action_names", tuple(self.action_names))
        if self.tolerance_windows is not None:
            windows = np.asarray(self.tolerance_windows, dtype=np.int64).reshape(-1, 2)
            object.__setattr__(self, "tolerance_windows", windows)

    @classmethod
    def around_boundaries(
        cls,
        labels: Sequence[int] | np.ndarray,
        action_names: Sequence[str],
        *,
        frame_rate: float | None,
    ) -> GroundTruth:
        """Ground truth whose windows are the boundaries plus or minus :func:`tolerance_frames`.

        For labels without annotated windows: case-(i) joins, user label files.
        """
        labels = check_frame_labels(labels)
        windows = tolerance_windows(labels_to_boundaries(labels), tolerance_frames(frame_rate))
        return cls(labels, tuple(action_names), windows)

    @property
    def n_frames(self) -> int:
        return int(self.labels.size)

    @property
    def n_actions(self) -> int:
        return int(np.unique(self.labels).size)

    @property
    def boundaries(self) -> np.ndarray:
        return labels_to_boundaries(self.labels)

    @property
    def segment_bounds(self) -> np.ndarray:
        """``(n_segments, 2)`` start and end (exclusive) of every true segment."""
        return np.array([(start, end) for start, end, _ in labels_to_segments(self.labels)])


class WithGroundTruth:
    """Read-only views of a ``truth: GroundTruth | None`` attribute, for the classes that carry one.

    Sources and embeddings keep the names their users read (``labels``,
    ``action_names``, ``tolerance_windows``, ``segment_bounds``); the values
    live once, in the :class:`GroundTruth`.
    """

    truth: GroundTruth | None

    @property
    def labels(self) -> np.ndarray | None:
        return None if self.truth is None else self.truth.labels

    @property
    def action_names(self) -> tuple[str, ...]:
        return () if self.truth is None else self.truth.action_names

    @property
    def tolerance_windows(self) -> np.ndarray | None:
        return None if self.truth is None else self.truth.tolerance_windows

    @property
    def segment_bounds(self) -> np.ndarray | None:
        return None if self.truth is None else self.truth.segment_bounds
