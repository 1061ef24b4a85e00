"""The one result every motion-file reader returns, and the rotation convention behind it.

Layout (the same as the shipped 117-column CMU data): a frame holds the root
position in columns 0-2, then one exponential map per joint, joint ``j`` in
columns ``3 + 3j .. 5 + 3j``; joint 0 is the root, so columns 3-5 are the root
orientation. The root's offset is zero: its whole position, including any rest
offset the file gives it, is in columns 0-2, so a frame is complete on its own.
End sites (the tips of hands, feet and head) are joints too, so a skeleton
plot reaches them; they have no rotation of their own, and their columns are
constant zeros.

The rotation convention, written once. Files describe a joint by its local
rotation ``L_j`` acting on column vectors: the joint's world rotation is
``W_j = W_parent @ L_j`` and its position is
``p_j = p_parent + W_parent @ offset_j``. The toolkit's
:func:`mocap_seq2seq.motion.skeleton.forward_kinematics` uses row vectors instead
(the convention of Martinez et al. 2017 and Li et al. 2018, whose CMU data the
toolkit ships): ``A_j = R_j @ A_parent`` and ``p_j = p_parent + offset_j @ A_parent``.
The two agree when ``A_j = W_j.T``, that is when ``R_j = L_j.T``. So a reader
stores the exponential map of ``L_j.T`` (which is minus the rotation vector of
``L_j``), and ``forward_kinematics(motion.skeleton, motion.frames)`` gives back
the file's own joint positions. :func:`frames_from_rotations` does this for
every reader, in one place.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mocap_seq2seq.errors import BadDataError, DataFileError, UsageError
from mocap_seq2seq.motion.rotations import matrix_to_expmap
from mocap_seq2seq.motion.skeleton import Skeleton


@dataclass(frozen=True, eq=False)
class ParsedMotion:
    """A motion file read into the toolkit's exponential-map layout.

    Args:
        skeleton: the joint tree; ``parents[j] < j``, offsets in the file's raw
            units, ``expmap_columns[j] = (3 + 3j, 4 + 3j, 5 + 3j)`` and
            ``root_position_columns = (0, 1, 2)``.
        frames: float32 ``(n_frames, 3 + 3 * n_joints)``: root position, then
            every joint's rotation as an exponential map (radians), in the
            convention of :func:`mocap_seq2seq.motion.skeleton.forward_kinematics`.
        frame_rate: frames per second, or ``None`` when the file does not say.
        source_file: the path the motion was read from, for messages.
    """

    skeleton: Skeleton
    frames: np.ndarray
    frame_rate: float | None
    source_file: str

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.frames.shape[0])


def expmap_layout_skeleton(
    joint_names: Sequence[str], parents: Sequence[int], offsets: np.ndarray
) -> Skeleton:
    """A skeleton whose frames follow the layout above (root position, then one exp map a joint).

    Example:
    >>> tree = expmap_layout_skeleton(["hips", "knee"], [-1, 0], np.array([[0, 0, 0], [0, -1, 0]]))
    >>> tree.n_channels, tree.expmap_columns[1].tolist()
    (9, [6, 7, 8])
    """
    n_joints = len(joint_names)
    return Skeleton(
        joint_names=tuple(joint_names),
        parents=np.asarray(parents, dtype=np.int64),
        offsets=np.asarray(offsets, dtype=np.float64),
        expmap_columns=3 + np.arange(3 * n_joints, dtype=np.int64).reshape(n_joints, 3),
        root_position_columns=np.arange(3, dtype=np.int64),
    )


def frames_from_rotations(root_positions: np.ndarray, local_rotations: np.ndarray) -> np.ndarray:
    """Frames of the layout above from root positions and column-vector local rotations.

    Each local rotation ``L_j`` is stored as the exponential map of ``L_j.T``,
    the row-vector form :func:`mocap_seq2seq.motion.skeleton.forward_kinematics` reads.

    Args:
        root_positions: float array ``(n_frames, 3)``, raw units.
        local_rotations: float array ``(n_frames, n_joints, 3, 3)``, each joint's
            rotation relative to its parent, acting on column vectors.

    Returns:
        float32 array ``(n_frames, 3 + 3 * n_joints)``.

    Example:
    >>> quarter_turn = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # about z
    >>> frames = frames_from_rotations(np.zeros((1, 3)), quarter_turn[None, None])
    >>> np.round(frames / np.pi, 6) + 0.0  # the row-vector form turns the other way
    array([[ 0. ,  0. ,  0. ,  0. ,  0. , -0.5]], dtype=float32)
    """
    positions = np.asarray(root_positions, dtype=np.float64)
    rotations = np.asarray(local_rotations, dtype=np.float64)
    if (
        positions.ndim != 2
        or positions.shape[1] != 3
        or rotations.ndim != 4
        or rotations.shape[0] != positions.shape[0]
        or rotations.shape[2:] != (3, 3)
    ):
        raise UsageError(
            f"Root positions of shape {positions.shape} and local rotations of shape "
            f"{rotations.shape} do not make frames.",
            "root positions (n_frames, 3) and rotations (n_frames, n_joints, 3, 3)",
        )
    expmaps = matrix_to_expmap(np.swapaxes(rotations, -1, -2))
    n_frames = positions.shape[0]
    frames = np.concatenate([positions, expmaps.reshape(n_frames, -1)], axis=1)
    return frames.astype(np.float32)


def read_lines(path: str | os.PathLike[str], expected: str) -> list[str]:
    """The lines of a text file, for readers that report 1-based line numbers.

    Bytes that are not UTF-8 (a joint name written in Latin-1, say) become
    replacement characters rather than failing the whole file.

    Args:
        path: the file.
        expected: what the file should be, for the message when it cannot be read.
    """
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        raise DataFileError(
            f"Cannot read '{path}' ({error.strerror or error}).", expected
        ) from None


class NumberedLines:
    """The lines of a text file read one at a time, with their 1-based numbers.

    The streaming counterpart of :func:`read_lines`: the same lines (split as
    :meth:`str.splitlines` splits, undecodable bytes replaced), without holding
    the file in memory. ``count`` is the number of lines read so far, which is
    the file's line count once the iterator is exhausted.

    Args:
        path: the file.
        expected: what the file should be, for the message when it cannot be read.

    Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "two.txt"
    >>> _ = path.write_text("a\\n\\nb c\\n")
    >>> with NumberedLines(path, "text") as lines:
    ...     list(lines), lines.count
    ([(1, 'a'), (2, ''), (3, 'b c')], 3)
    """

    def __init__(self, path: str | os.PathLike[str], expected: str):
        path = Path(path)
        try:
            self._handle = path.open(encoding="utf-8", errors="replace")
        except OSError as error:
            raise DataFileError(
                f"Cannot read '{path}' ({error.strerror or error}).", expected
            ) from None
        self.count = 0
        self._lines = self._numbered()

    def _numbered(self) -> Iterator[tuple[int, str]]:
        for raw in self._handle:
            # A text-mode line ends at \n, \r or \r\n; splitlines also splits at
            # form feeds and other separators, so the numbers match read_lines.
            for text in raw.splitlines():
                self.count += 1
                yield self.count, text

    def __iter__(self) -> Iterator[tuple[int, str]]:
        return self._lines

    def __next__(self) -> tuple[int, str]:
        return next(self._lines)

    def __enter__(self) -> NumberedLines:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._handle.close()


def parse_numbers(tokens: Sequence[str], where: str, what: str = "value") -> np.ndarray:
    """Finite float64 numbers from text tokens, or a :class:`BadDataError` that names the token.

    Args:
        tokens: the number strings.
        where: the place for the message, such as ``"walk.bvh line 12"``.
        what: what the numbers are, for the message. Defaults to ``"value"``.

    Example:
    >>> parse_numbers(["1", "2.5e1"], "a.bvh line 3").tolist()
    [1.0, 25.0]
    >>> parse_numbers(["1", "x"], "a.bvh line 3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mocap_seq2seq.errors.BadDataError: a.bvh line 3: value 2 of 2, 'x', is not a number. ...
    """
    try:
        numbers = np.array([float(token) for token in tokens], dtype=np.float64)
    except ValueError:
        for position, token in enumerate(tokens, start=1):
            try:
                float(token)
            except ValueError:
                raise BadDataError(
                    f"{where}: {what} {position} of {len(tokens)}, {token!r}, is not a number.",
                    "decimal numbers such as -12.5 or 3e-2",
                    "Repair or regenerate the file.",
                ) from None
        raise  # unreachable: some token failed above
    if not np.all(np.isfinite(numbers)):
        position = int(np.flatnonzero(~np.isfinite(numbers))[0]) + 1
        raise BadDataError(
            f"{where}: {what} {position} of {len(tokens)} is {tokens[position - 1]!r}.",
            "finite numbers",
            "Repair or regenerate the file.",
        )
    if not within_float32(numbers):
        position = int(np.flatnonzero(np.abs(numbers) > FLOAT32_MAX)[0]) + 1
        raise BadDataError(
            f"{where}: {what} {position} of {len(tokens)}, {tokens[position - 1]!r}, is beyond "
            "float32's range (the stored frames' type).",
            f"values of magnitude below {FLOAT32_MAX:.1e}",
            "Rescale the values, for example to other units.",
        )
    return numbers


#: The largest magnitude the stored (float32) frames hold.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def within_float32(values: np.ndarray) -> bool:
    """Whether every value of a finite array fits in float32 (the stored frames' type)."""
    return bool(values.size == 0 or np.abs(values).max() <= FLOAT32_MAX)
