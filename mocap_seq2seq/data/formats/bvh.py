"""Biovision hierarchy (BVH) files: a joint tree, then one line of channel values a frame.

What the reader assumes, and why:

* The ``HIERARCHY`` section nests ``ROOT``, ``JOINT`` and ``End Site`` blocks
  in braces; each has an ``OFFSET`` (the bone from the parent, in the file's
  units, kept as they are) and, except end sites, a ``CHANNELS`` line. The
  joints are numbered in the order they appear (depth first), so every parent
  comes before its children. An end site becomes a joint named
  ``<parent>_end`` with no rotation.
* Rotation channels are Euler angles in degrees, applied in the order they are
  listed, each about the axis the previous ones produced: ``Zrotation
  Xrotation Yrotation`` is the intrinsic order ``"ZXY"``, ``Rz @ Rx @ Ry`` on
  column vectors. A joint with one or two rotation channels turns about those
  only; a joint with none does not turn.
* The root's position is its ``OFFSET`` plus its position channels (a missing
  axis counts as zero). Most files give the root a zero offset, and the
  channels then are the position; adding the two is right either way.
* Position channels on any other joint are accepted only if they are constant
  over the frames (some exporters write the bone length that way): each such
  channel then replaces that axis of the joint's ``OFFSET``. Moving joints
  other than the root cannot be expressed by the exponential-map layout.
* ``MOTION`` holds ``Frames: N``, ``Frame Time: t`` (seconds per frame, so the
  frame rate is ``1 / t``), then exactly ``N`` lines of whitespace-separated
  numbers (spaces or tabs). Blank lines are skipped.

The result is a :class:`~mocap_seq2seq.data.formats.motion.ParsedMotion`; its
module says how the rotations are stored. Malformed files raise
:class:`~mocap_seq2seq.errors.BadDataError` naming the file and the 1-based line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mocap_seq2seq.data.formats.motion import (
    NumberedLines,
    ParsedMotion,
    expmap_layout_skeleton,
    frames_from_rotations,
    parse_numbers,
    within_float32,
)
from mocap_seq2seq.errors import BadDataError, UsageError
from mocap_seq2seq.motion.rotations import euler_to_matrix

#: Channel names (compared in lower case) -> (kind, axis letter).
_CHANNELS = {
    f"{axis}{kind}": (kind, axis.upper())
    for kind in ("position", "rotation")
    for axis in ("x", "y", "z")
}

#: Relative spread below which a position channel of a non-root joint counts as constant.
_CONSTANT_TOLERANCE = 1e-6

_EXPECTED = "a BVH file: HIERARCHY with ROOT/JOINT/End Site blocks, then MOTION"


@dataclass
class _Joint:
    name: str
    parent: int
    line: int  # where the joint is declared
    offset: np.ndarray | None = None
    channels: list[str] = field(default_factory=list)  # lower-case names, in file order
    channels_line: int = 0
    first_column: int = 0


@dataclass(frozen=True)
class _Token:
    text: str
    line: int


def read_bvh(path: str | os.PathLike[str], *, chunk_frames: int = 8192) -> ParsedMotion:
    """Read a BVH file into the toolkit's exponential-map layout.

    The motion is read ``chunk_frames`` lines at a time, each chunk turned into
    float32 frames of a preallocated array, so that peak memory is the output
    plus one chunk's float64 values and rotation matrices, not the whole file's
    text and matrices. The frames do not depend on ``chunk_frames``: every frame
    is computed from its own line only.

    Args:
        path: the ``.bvh`` file.
        chunk_frames: motion lines parsed and converted at a time. Defaults to 8192.

    Returns:
        The motion: skeleton (end sites included), float32 frames
        ``(n_frames, 3 + 3 * n_joints)``, ``frame_rate = 1 / Frame Time``.

    Example:
    >>> import tempfile, pathlib
    >>> from mocap_seq2seq.motion.skeleton import forward_kinematics
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "arm.bvh"
    >>> _ = path.write_text('''HIERARCHY
    ... ROOT shoulder
    ... {
    ...   OFFSET 0 0 0
    ...   CHANNELS 3 Zrotation Xrotation Yrotation
    ...   End Site
    ...   {
    ...     OFFSET 1 0 0
    ...   }
    ... }
    ... MOTION
    ... Frames: 1
    ... Frame Time: 0.04
    ... 90 0 0
    ... ''')
    >>> motion = read_bvh(path)
    >>> motion.skeleton.joint_names, motion.frame_rate
    (('shoulder', 'shoulder_end'), 25.0)
    >>> np.round(forward_kinematics(motion.skeleton, motion.frames)[0], 5) + 0.0
    array([[0., 0., 0.],
           [0., 1., 0.]])
    """
    path = Path(path)
    chunk_frames = _check_chunk_frames(chunk_frames)
    with NumberedLines(path, _EXPECTED) as lines:
        # Only the header is held as text; the motion lines are read chunk by chunk.
        header = []
        for _, text in lines:
            header.append(text)
            if _starts_motion(text):
                break
        parser = _HierarchyParser(path.name, header)
        joints, motion_line = parser.parse()
        n_channels = 0
        for joint in joints:
            joint.first_column = n_channels
            n_channels += len(joint.channels)
        frames, offsets, frame_rate = _read_motion(
            path.name, lines, joints, n_channels, chunk_frames
        )
    skeleton = expmap_layout_skeleton(
        [joint.name for joint in joints], [joint.parent for joint in joints], offsets
    )
    return ParsedMotion(
        skeleton=skeleton, frames=frames, frame_rate=frame_rate, source_file=str(path)
    )


def _check_chunk_frames(chunk_frames: int) -> int:
    if isinstance(chunk_frames, bool) or not isinstance(chunk_frames, int) or chunk_frames < 1:
        raise UsageError(
            f"The chunk_frames of read_bvh must be a positive whole number. Got {chunk_frames!r}.",
            "an int >= 1, such as 8192",
        )
    return chunk_frames


def _starts_motion(line: str) -> bool:
    """Whether ``line`` is the MOTION line, by the tokenizer's own rule."""
    words = re.findall(r"[{}]|[^\s{}]+", line)
    return bool(words) and words[0].upper() == "MOTION"


class _HierarchyParser:
    """Recursive descent over the tokens of the HIERARCHY section."""

    def __init__(self, file_name: str, lines: list[str]):
        self.file_name = file_name
        self.lines = lines
        self.joints: list[_Joint] = []
        self.motion_line = 0  # 1-based line of MOTION, once found
        self.tokens: list[_Token] = []
        self.position = 0

    def fail(self, line: int, reason: str, expected: str | None = None) -> BadDataError:
        return BadDataError(f"{self.file_name} line {line}: {reason}", expected or _EXPECTED)

    def parse(self) -> tuple[list[_Joint], int]:
        self._tokenize()
        header = self._next("the file is empty")
        if header.text.upper() != "HIERARCHY":
            raise self.fail(header.line, f"found {header.text!r} where HIERARCHY should start.")
        keyword = self._next("HIERARCHY holds no ROOT joint")
        if keyword.text.upper() != "ROOT":
            raise self.fail(keyword.line, f"found {keyword.text!r} where ROOT should be.")
        self._joint_block(keyword, parent=-1)
        extra = self._peek()
        if extra is not None:
            if extra.text.upper() == "ROOT":
                raise self.fail(
                    extra.line,
                    "a second ROOT; only files with one root are supported.",
                    "one ROOT block holding every joint",
                )
            raise self.fail(extra.line, f"unexpected {extra.text!r} after the ROOT block.")
        if not self.motion_line:
            raise self.fail(len(self.lines), "the file has no MOTION section.")
        return self.joints, self.motion_line

    def _tokenize(self) -> None:
        for number, line in enumerate(self.lines, start=1):
            words = re.findall(r"[{}]|[^\s{}]+", line)
            if words and words[0].upper() == "MOTION":
                self.motion_line = number
                return
            self.tokens.extend(_Token(word, number) for word in words)

    def _peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _next(self, reason_at_end: str) -> _Token:
        token = self._peek()
        if token is None:
            line = self.motion_line or len(self.lines)
            raise self.fail(line, f"{reason_at_end}.")
        self.position += 1
        return token

    def _rest_of_line(self, line: int) -> list[_Token]:
        rest = []
        while (token := self._peek()) is not None and token.line == line and token.text != "{":
            rest.append(token)
            self.position += 1
        return rest

    def _joint_block(self, keyword: _Token, parent: int) -> None:
        """Parse ``ROOT name { ... }`` or ``JOINT name { ... }`` (the keyword already read)."""
        words = self._rest_of_line(keyword.line)
        if not words:
            raise self.fail(keyword.line, f"{keyword.text} has no name.", f"{keyword.text} <name>")
        joint = _Joint(" ".join(word.text for word in words), parent, keyword.line)
        index = len(self.joints)
        self.joints.append(joint)
        self._open_brace(f"{keyword.text} {joint.name}")
        while True:
            token = self._next(
                f"the block of {joint.name} (line {joint.line}) is never closed with '}}'"
            )
            word = token.text.upper()
            if word == "}":
                break
            if word == "OFFSET":
                joint.offset = self._offset(token)
            elif word == "CHANNELS":
                self._channels(token, joint)
            elif word == "JOINT":
                self._joint_block(token, parent=index)
            elif word == "END":
                self._end_site(token, parent=index)
            else:
                raise self.fail(
                    token.line,
                    f"unknown keyword {token.text!r} in the block of {joint.name}.",
                    "OFFSET, CHANNELS, JOINT, End Site or '}'",
                )
        if joint.offset is None:
            raise self.fail(joint.line, f"joint {joint.name} has no OFFSET.", "OFFSET x y z")

    def _open_brace(self, owner: str) -> None:
        token = self._next(f"the file ends before the '{{' that opens {owner}")
        if token.text != "{":
            raise self.fail(token.line, f"found {token.text!r} where '{{' should open {owner}.")

    def _offset(self, keyword: _Token) -> np.ndarray:
        words = self._rest_of_line(keyword.line)
        where = f"{self.file_name} line {keyword.line}"
        if len(words) != 3:
            raise self.fail(keyword.line, f"OFFSET has {len(words)} numbers.", "OFFSET x y z")
        return parse_numbers([word.text for word in words], where, "OFFSET number")

    def _channels(self, keyword: _Token, joint: _Joint) -> None:
        words = self._rest_of_line(keyword.line)
        expected = "CHANNELS <count> <names>, e.g. CHANNELS 3 Zrotation Xrotation Yrotation"
        if not words or not (words[0].text.isascii() and words[0].text.isdigit()):
            raise self.fail(keyword.line, "CHANNELS does not start with a count.", expected)
        count, names = int(words[0].text), [word.text for word in words[1:]]
        if len(names) != count:
            raise self.fail(
                keyword.line, f"CHANNELS lists {len(names)} names but says {count}.", expected
            )
        if joint.channels:
            raise self.fail(keyword.line, f"joint {joint.name} has a second CHANNELS line.")
        lowered = [name.lower() for name in names]
        for name, low in zip(names, lowered):
            if low not in _CHANNELS:
                raise self.fail(
                    keyword.line,
                    f"unknown channel name {name!r}.",
                    "Xposition, Yposition, Zposition, Xrotation, Yrotation or Zrotation",
                )
        if len(set(lowered)) != len(lowered):
            raise self.fail(
                keyword.line, f"joint {joint.name} lists a channel twice.", "each channel once"
            )
        joint.channels = lowered
        joint.channels_line = keyword.line

    def _end_site(self, keyword: _Token, parent: int) -> None:
        words = self._rest_of_line(keyword.line)
        if [word.text.upper() for word in words] != ["SITE"]:
            raise self.fail(keyword.line, "'End' is not followed by 'Site'.", "End Site")
        taken = {joint.name for joint in self.joints}
        name, suffix = f"{self.joints[parent].name}_end", 2
        while name in taken:
            name, suffix = f"{self.joints[parent].name}_end{suffix}", suffix + 1
        site = _Joint(name, parent, keyword.line)
        self.joints.append(site)
        self._open_brace("End Site")
        while True:
            token = self._next(
                f"the End Site block (line {keyword.line}) is never closed with '}}'"
            )
            if token.text == "}":
                break
            if token.text.upper() != "OFFSET":
                raise self.fail(
                    token.line,
                    f"unknown keyword {token.text!r} in an End Site block.",
                    "only OFFSET x y z inside an End Site",
                )
            site.offset = self._offset(token)
        if site.offset is None:
            raise self.fail(keyword.line, "End Site has no OFFSET.", "OFFSET x y z")


def _read_motion(
    file_name: str,
    lines: NumberedLines,
    joints: list[_Joint],
    n_channels: int,
    chunk_frames: int,
) -> tuple[np.ndarray, np.ndarray, float]:
    """The float32 frames, the skeleton offsets and the frame rate of the MOTION section.

    ``lines`` stands just after the MOTION line; it is read to the end.
    """
    numbered = ((number, text) for number, text in lines if text.strip())

    def header(pattern: str, label: str) -> tuple[str, int]:
        entry = next(numbered, None)
        if entry is None:
            raise BadDataError(
                f"{file_name} line {lines.count}: the file ends before '{label}'.",
                f"'{label} ...' after MOTION",
            )
        number, text = entry
        match = re.fullmatch(pattern, text.strip(), flags=re.IGNORECASE)
        if match is None:
            raise BadDataError(
                f"{file_name} line {number}: found {text.strip()[:40]!r} "
                f"where '{label}' should be.",
                f"'{label} ...' after MOTION",
            )
        return match.group(1), number

    count_text, frames_line = header(r"Frames\s*:\s*(\S+)", "Frames:")
    if not (count_text.isascii() and count_text.isdigit()) or int(count_text) == 0:
        raise BadDataError(
            f"{file_name} line {frames_line}: 'Frames: {count_text}' is not a positive "
            "whole number.",
            "Frames: N with N >= 1",
        )
    n_frames = int(count_text)
    time_text, time_line = header(r"Frame\s+Time\s*:\s*(\S+)", "Frame Time:")
    frame_time = float(parse_numbers([time_text], f"{file_name} line {time_line}", "Frame Time")[0])
    if not frame_time >= 1e-6:  # also refuses a denormal time whose rate overflows
        raise BadDataError(
            f"{file_name} line {time_line}: Frame Time is {time_text}.",
            "a number of seconds per frame of at least 1e-6, e.g. 0.0083333 for 120 fps",
        )
    converter = _FrameConverter(joints, n_frames)
    chunk: list[tuple[int, str]] = []
    n_read = 0
    for number, text in numbered:
        if n_read + len(chunk) == n_frames:
            raise BadDataError(
                f"{file_name} line {number}: more frame lines than the {n_frames} that "
                f"'Frames:' (line {frames_line}) announces.",
                f"exactly {n_frames} frame lines",
                "Correct the Frames: count or remove the extra lines.",
            )
        chunk.append((number, text))
        if len(chunk) == chunk_frames:
            converter.add(_chunk_values(file_name, chunk, n_channels))
            n_read += len(chunk)
            chunk = []
    if chunk:
        converter.add(_chunk_values(file_name, chunk, n_channels))
        n_read += len(chunk)
    if n_read < n_frames:
        raise BadDataError(
            f"{file_name} line {frames_line}: 'Frames: {n_frames}' but the file holds "
            f"{n_read} frame lines.",
            f"{n_frames} frame lines",
            "The file may be truncated; correct the Frames: count or re-export it.",
        )
    return converter.frames, converter.offsets(file_name), 1.0 / frame_time


def _chunk_values(file_name: str, chunk: list[tuple[int, str]], n_channels: int) -> np.ndarray:
    """The float64 ``(len(chunk), n_channels)`` values of some frame lines.

    ``numpy.loadtxt`` parses a whole chunk in C; when it fails or finds a value
    that is not finite, the lines are parsed again one by one, which finds the
    first bad line and names it exactly as a line-by-line reader does.
    """
    try:
        values = np.loadtxt([text for _, text in chunk], dtype=np.float64, comments=None, ndmin=2)
        if (
            values.shape == (len(chunk), n_channels)
            and np.isfinite(values).all()
            and within_float32(values)
        ):
            return values
    except ValueError:
        pass
    values = np.empty((len(chunk), n_channels))
    for row, (number, text) in enumerate(chunk):
        tokens = text.split()
        if len(tokens) != n_channels:
            raise BadDataError(
                f"{file_name} line {number}: {len(tokens)} values, expected {n_channels}.",
                f"one value per channel of the hierarchy ({n_channels} channels)",
            )
        values[row] = parse_numbers(tokens, f"{file_name} line {number}")
    return values


class _FrameConverter:
    """Turns chunks of channel values into rows of one preallocated float32 frame array.

    Position channels below the root must be constant over the whole file; their
    running minimum and maximum are kept so the check needs no second pass.
    """

    def __init__(self, joints: list[_Joint], n_frames: int):
        self.joints = joints
        self.frames = np.empty((n_frames, 3 + 3 * len(joints)), dtype=np.float32)
        self.n_done = 0
        self.root_offset = np.asarray(joints[0].offset, dtype=np.float64)
        # (joint index, axis index, column) of every position channel below the root
        self.fixed = [
            (index, "XYZ".index(_CHANNELS[name][1]), joint.first_column + position)
            for index, joint in enumerate(joints)
            if index > 0
            for position, name in enumerate(joint.channels)
            if _CHANNELS[name][0] == "position"
        ]
        columns = [column for _, _, column in self.fixed]
        self.fixed_columns = np.array(columns, dtype=np.int64)
        self.first = np.zeros(len(columns))
        self.low = np.full(len(columns), np.inf)
        self.high = np.full(len(columns), -np.inf)

    def add(self, values: np.ndarray) -> None:
        if self.n_done == 0:
            self.first = values[0, self.fixed_columns]
        fixed = values[:, self.fixed_columns]
        if fixed.size:
            self.low = np.minimum(self.low, fixed.min(axis=0))
            self.high = np.maximum(self.high, fixed.max(axis=0))
        stop = self.n_done + values.shape[0]
        self.frames[self.n_done : stop] = frames_from_rotations(
            _root_positions(self.joints, self.root_offset, values), _rotations(self.joints, values)
        )
        self.n_done = stop

    def offsets(self, file_name: str) -> np.ndarray:
        """Skeleton offsets ``(n_joints, 3)``: the root's zero, constant channels applied."""
        offsets = np.array([joint.offset for joint in self.joints], dtype=np.float64)
        offsets[0] = 0.0  # the root's rest offset lives in the position columns
        for slot, (index, axis_index, _) in enumerate(self.fixed):
            joint = self.joints[index]
            spread = float(self.high[slot] - self.low[slot])
            largest = max(abs(float(self.low[slot])), abs(float(self.high[slot])))
            if spread > _CONSTANT_TOLERANCE * max(1.0, largest):
                raise BadDataError(
                    f"{file_name} line {joint.channels_line}: joint {joint.name} has a "
                    f"{'XYZ'[axis_index]}position channel that changes over the frames "
                    f"(by {spread:.6g}).",
                    "position channels on the root only, or constant ones on other joints",
                    "Re-export the motion with rotation channels only below the root.",
                )
            offsets[index, axis_index] = self.first[slot]
        return offsets


def _root_positions(
    joints: list[_Joint], root_offset: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """Root positions ``(n_frames, 3)``: the root's OFFSET plus its position channels."""
    root_positions = np.broadcast_to(root_offset, (values.shape[0], 3)).copy()
    for position, name in enumerate(joints[0].channels):
        kind, axis = _CHANNELS[name]
        if kind == "position":
            root_positions[:, "XYZ".index(axis)] += values[:, joints[0].first_column + position]
    return root_positions


def _rotations(joints: list[_Joint], values: np.ndarray) -> np.ndarray:
    """Column-vector local rotations ``(n_frames, n_joints, 3, 3)`` of every joint."""
    n_frames = values.shape[0]
    rotations = np.broadcast_to(np.eye(3), (n_frames, len(joints), 3, 3)).copy()
    for index, joint in enumerate(joints):
        axes = ""
        columns = []
        for position, name in enumerate(joint.channels):
            kind, axis = _CHANNELS[name]
            if kind == "rotation":
                axes += axis
                columns.append(joint.first_column + position)
        if not axes:
            continue
        angles = np.zeros((n_frames, 3))
        angles[:, : len(axes)] = values[:, columns]
        # Fewer than three rotations: the missing axes come last, turned by zero.
        order = axes + "".join(axis for axis in "XYZ" if axis not in axes)
        rotations[:, index] = euler_to_matrix(angles, order, degrees=True)
    return rotations
