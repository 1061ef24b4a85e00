"""Acclaim skeleton (ASF) and motion (AMC) files, the format of the CMU motion-capture database.

The ASF describes bones in a rest pose; the AMC gives, frame by frame, each
bone's rotation angles (and the root's translation and rotation).

The Acclaim convention, as CMU uses it (column vectors, every vector of the
ASF in global rest coordinates):

* A bone ``b`` has a unit ``direction`` and a ``length``; its rest vector is
  ``length * direction``, from the bone's start (its parent bone's end, or the
  root) to its end.
* Its ``axis a1 a2 a3 XYZ`` line gives the bone's local frame
  ``C_b = euler_to_matrix(a, "xyz")`` (the order letters in lower case: fixed
  axes, so ``XYZ`` means ``Rz @ Ry @ Rx``). The AMC angles of the bone, in the
  order of its ``dof`` line and in that same fixed-axis convention, make
  ``M_b``, a rotation about the axes of that local frame.
* Its local rotation is ``L_b = C_b @ M_b @ C_b.T`` (``M_b`` moved from the
  bone's frame into rest-world coordinates) and its world rotation
  ``W_b = W_parent @ L_b``; the root's is ``L_root``, built the same way from
  the root's ``axis``/``orientation`` lines and the R* values of its ``order``
  line. A bone's end is its start plus ``W_b @ (length * direction)``.
  Because every ``W`` is the identity in the rest pose, offsets written in
  global rest coordinates are consistent with this chain.
* The root's position is its ASF ``position`` plus the AMC's TX TY TZ values.

The result uses the layout of :mod:`mocap_seq2seq.data.formats.motion`: joint 0 is
the root (offset zero, position in columns 0-2); then one joint per bone,
depth first, placed at the bone's *start* (offset: the parent bone's rest
vector, zero for bones attached to the root) and turning by ``L_b``; and after
each leaf bone an end-site joint ``<bone>_end`` at its end (offset: its own
rest vector). Bones without degrees of freedom turn by their parent's rotation
only.

Units. Angles are in degrees unless ``:units`` says ``angle rad`` (an AMC's
own ``:DEGREES`` or ``:RADIANS`` line takes precedence for its values).
Lengths are kept as written: the ``:units length`` factor (0.45 in CMU files,
which turns the numbers into inches) is stored on :class:`AsfSkeleton` but not
applied, so offsets are the file's raw numbers. CMU AMC files are captured at
120 frames per second, but the file does not say so: the frame rate is the
caller's ``frame_rate`` argument, ``None`` by default.

Only rotational degrees of freedom are read: a bone with ``tx``, ``ty``, ``tz``
or ``l`` (stretch) in its ``dof`` line is refused, since the exponential-map
layout cannot express it. Malformed files raise
:class:`~mocap_seq2seq.errors.BadDataError` naming the file and the 1-based line.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mocap_seq2seq.data.formats.motion import (
    ParsedMotion,
    expmap_layout_skeleton,
    frames_from_rotations,
    parse_numbers,
    read_lines,
)
from mocap_seq2seq.errors import BadDataError, UsageError
from mocap_seq2seq.motion.rotations import euler_to_matrix

_ROTATION_DOFS = ("rx", "ry", "rz")
_TRANSLATION_DOFS = ("tx", "ty", "tz", "l")
_ROOT_CHANNELS = ("TX", "TY", "TZ", "RX", "RY", "RZ")
_BONE_KEYWORDS = ("id", "name", "direction", "length", "axis", "dof", "limits")
#: Bone keywords of the Acclaim specification that the kinematics do not need.
_IGNORED_BONE_KEYWORDS = ("bodymass", "cofmass")

_ASF_EXPECTED = "an Acclaim skeleton file (:units, :root, :bonedata, :hierarchy)"
_AMC_EXPECTED = "an Acclaim motion file: a frame number, then one '<bone> <values>' line a bone"


@dataclass(frozen=True, eq=False)
class AsfBone:
    """One bone of an ASF file.

    Attributes:
        name: the bone's name.
        parent: index of the parent bone in :attr:`AsfSkeleton.bones`, ``-1`` for the root.
        direction: unit vector ``(3,)`` in global rest coordinates.
        length: the bone's length, raw units.
        axis: angles ``(3,)`` of the bone's local frame, radians.
        axis_order: the letters of the ``axis`` line, e.g. ``"XYZ"``.
        dofs: the rotational degrees of freedom in AMC order, e.g. ``("rx", "rz")``.
        limits: ``(low, high)`` per dof, as written (angles in the file's unit).
        line: 1-based line of the bone's ``begin`` in the ASF.
    """

    name: str
    parent: int
    direction: np.ndarray
    length: float
    axis: np.ndarray
    axis_order: str
    dofs: tuple[str, ...]
    limits: tuple[tuple[float, float], ...]
    line: int

    @property
    def vector(self) -> np.ndarray:
        """The rest vector ``length * direction`` from the bone's start to its end."""
        return self.length * self.direction


@dataclass(frozen=True, eq=False)
class AsfSkeleton:
    """A parsed ASF file: the root's channels and the bones, parents first.

    Attributes:
        name: the ``:name`` line, or the file's stem.
        source_file: the path read.
        angles_in_degrees: False when ``:units`` says ``angle rad``.
        length_unit: the ``:units length`` factor, not applied (see the module docstring).
        root_order: the root's AMC channels in order, e.g. ``("TX", ..., "RZ")``.
        root_axis: the order letters for the root orientation, e.g. ``"XYZ"``.
        root_position: ``(3,)`` rest position of the root, raw units.
        root_orientation: ``(3,)`` angles of the root's frame, radians.
        bones: every bone, depth first from the root along :hierarchy,
            so that ``bones[b].parent < b``.
    """

    name: str
    source_file: str
    angles_in_degrees: bool
    length_unit: float
    root_order: tuple[str, ...]
    root_axis: str
    root_position: np.ndarray
    root_orientation: np.ndarray
    bones: tuple[AsfBone, ...]

    def bone_index(self, name: str) -> int | None:
        """Index of the bone called ``name``, or ``None``."""
        for index, bone in enumerate(self.bones):
            if bone.name == name:
                return index
        return None


@dataclass
class _BoneDraft:
    line: int
    name: str | None = None
    direction: np.ndarray | None = None
    length: float | None = None
    axis: np.ndarray = field(default_factory=lambda: np.zeros(3))
    axis_order: str = "XYZ"
    dofs: tuple[str, ...] = ()
    dof_line: int = 0
    limits: list[tuple[float, float]] = field(default_factory=list)
    limits_line: int = 0


def read_asf(path: str | os.PathLike[str]) -> AsfSkeleton:
    """Read an ASF skeleton.

    Args:
        path: the ``.asf`` file.

    Returns:
        The skeleton; pass it to :func:`read_amc` with each motion of that subject.

    Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "stick.asf"
    >>> _ = path.write_text('''
    ... :units
    ...   angle deg
    ... :root
    ...   order TX TY TZ RX RY RZ
    ...   axis XYZ
    ... :bonedata
    ...   begin
    ...     name spine
    ...     direction 0 1 0
    ...     length 3
    ...     axis 0 0 0 XYZ
    ...     dof rx rz
    ...   end
    ... :hierarchy
    ...   begin
    ...     root spine
    ...   end
    ... ''')
    >>> skeleton = read_asf(path)
    >>> skeleton.bones[0].name, skeleton.bones[0].dofs, skeleton.bones[0].vector.tolist()
    ('spine', ('rx', 'rz'), [0.0, 3.0, 0.0])
    """
    path = Path(path)
    return _AsfParser(path, read_lines(path, _ASF_EXPECTED)).parse()


def read_amc(
    amc_path: str | os.PathLike[str], asf: AsfSkeleton, *, frame_rate: float | None = None
) -> ParsedMotion:
    """Read an AMC motion of the skeleton ``asf`` into the toolkit's exponential-map layout.

    Args:
        amc_path: the ``.amc`` file.
        asf: its skeleton, from :func:`read_asf`.
        frame_rate: frames per second, which AMC files do not state (CMU: 120).
            Defaults to None (unknown).

    Returns:
        The motion: the skeleton described in the module docstring and float32
        frames ``(n_frames, 3 + 3 * n_joints)``.
    """
    if frame_rate is not None and not (math.isfinite(frame_rate) and frame_rate > 0):
        raise UsageError(
            f"The frame_rate of read_amc is {frame_rate}.",
            "a positive number of frames per second (120 for CMU), or None",
        )
    path = Path(amc_path)
    lines = read_lines(path, _AMC_EXPECTED)
    frames, in_degrees = _read_amc_values(path.name, lines, asf)
    return _motion(asf, frames, in_degrees, frame_rate, str(path))


def read_asf_amc(
    asf_path: str | os.PathLike[str],
    amc_path: str | os.PathLike[str],
    *,
    frame_rate: float | None = None,
) -> ParsedMotion:
    """Read a skeleton and one of its motions: ``read_amc(amc_path, read_asf(asf_path))``."""
    return read_amc(amc_path, read_asf(asf_path), frame_rate=frame_rate)


class _AsfParser:
    """Line-by-line reader of the ASF sections."""

    def __init__(self, path: Path, lines: list[str]):
        self.file_name = path.name
        self.path = path
        self.lines = lines
        self.name = path.stem
        self.angles_in_degrees = True
        self.length_unit = 1.0
        self.root_order: tuple[str, ...] | None = None
        self.root_axis = "XYZ"
        self.root_position = np.zeros(3)
        self.root_orientation = np.zeros(3)
        self.bones: list[AsfBone] = []  # in file order, parents not yet known
        # (parent, child, line) for every child named in :hierarchy, in file order
        self.hierarchy: list[tuple[str, str, int]] = []
        self.root_line = 0

    def fail(
        self, line: int, reason: str, expected: str | None = None, fix: str | None = None
    ) -> BadDataError:
        return BadDataError(
            f"{self.file_name} line {line}: {reason}", expected or _ASF_EXPECTED, fix
        )

    def numbers(self, line: int, words: list[str], count: int, what: str) -> np.ndarray:
        if len(words) != count:
            raise self.fail(line, f"{what} has {len(words)} numbers.", f"{count} numbers")
        return parse_numbers(words, f"{self.file_name} line {line}", f"{what} number")

    def parse(self) -> AsfSkeleton:
        section = ""
        draft: _BoneDraft | None = None
        in_hierarchy_block = False
        last_keyword = ""
        for number, raw in enumerate(self.lines, start=1):
            # The specification makes commas whitespace (and brackets, read in limits).
            text = raw.split("#", 1)[0].replace(",", " ").strip()
            if not text:
                continue
            if text.startswith(":"):
                if draft is not None:
                    raise self.fail(draft.line, "a bone's 'begin' has no matching 'end'.")
                keyword, *rest = text.split(maxsplit=1)
                section = keyword.lower()
                if section == ":name" and rest:
                    self.name = rest[0]
                elif section == ":root":
                    self.root_line = number
                continue
            words = text.split()
            key = words[0].lower()
            if section == ":units":
                self._unit(number, key, words[1:])
            elif section == ":root":
                self._root_line(number, key, words[1:])
            elif section == ":bonedata":
                if key == "begin":
                    if draft is not None:
                        raise self.fail(number, "'begin' inside a bone; the previous has no 'end'.")
                    draft = _BoneDraft(number)
                elif key == "end":
                    if draft is None:
                        raise self.fail(number, "'end' without a 'begin'.")
                    self.bones.append(self._checked(draft))
                    draft = None
                elif draft is None:
                    raise self.fail(number, f"{words[0]!r} outside a begin/end bone block.")
                elif text.startswith("(") and last_keyword == "limits":
                    draft.limits.extend(self._limits(number, text))
                    continue
                else:
                    self._bone_line(number, key, words[1:], text, draft)
                last_keyword = key
            elif section == ":hierarchy":
                if key == "begin":
                    in_hierarchy_block = True
                elif key == "end":
                    in_hierarchy_block = False
                elif in_hierarchy_block:
                    self.hierarchy.extend((words[0], child, number) for child in words[1:])
                else:
                    raise self.fail(number, f"{words[0]!r} outside the hierarchy's begin/end.")
            # :version, :documentation and sections this reader does not use are skipped.
        if draft is not None:
            raise self.fail(draft.line, "a bone's 'begin' has no matching 'end'.")
        if self.root_order is None:
            raise self.fail(
                self.root_line or len(self.lines),
                "the file has no ':root' section with an 'order' line.",
                ":root with 'order TX TY TZ RX RY RZ'",
            )
        return AsfSkeleton(
            name=self.name,
            source_file=str(self.path),
            angles_in_degrees=self.angles_in_degrees,
            length_unit=self.length_unit,
            root_order=self.root_order,
            root_axis=self.root_axis,
            root_position=self.root_position,
            root_orientation=self._radians(self.root_orientation),
            bones=self._tree(),
        )

    def _radians(self, angles: np.ndarray) -> np.ndarray:
        return np.deg2rad(angles) if self.angles_in_degrees else angles

    def _unit(self, line: int, key: str, values: list[str]) -> None:
        if key == "angle":
            unit = values[0].lower() if values else ""
            if unit not in ("deg", "rad"):
                raise self.fail(
                    line, f"unknown angle unit {' '.join(values)!r}.", "'angle deg' or 'angle rad'"
                )
            self.angles_in_degrees = unit == "deg"
        elif key == "length":
            self.length_unit = float(self.numbers(line, values, 1, "length unit")[0])
        # mass and other units do not affect the kinematics.

    def _axis_order(self, line: int, text: str) -> str:
        order = text.upper()
        if len(order) != 3 or set(order) != set("XYZ"):
            raise self.fail(
                line, f"axis order {text!r} is not valid.", "a permutation of XYZ, e.g. XYZ"
            )
        return order

    def _root_line(self, line: int, key: str, values: list[str]) -> None:
        if key == "order":
            order = tuple(value.upper() for value in values)
            unknown = [value for value in order if value not in _ROOT_CHANNELS]
            if unknown or len(set(order)) != len(order):
                raise self.fail(
                    line,
                    f"root order {' '.join(values)!r} has an unknown or repeated channel.",
                    "distinct names among TX TY TZ RX RY RZ",
                )
            self.root_order = order
        elif key == "axis":
            if len(values) != 1:
                raise self.fail(line, "root axis needs one order, e.g. 'axis XYZ'.")
            self.root_axis = self._axis_order(line, values[0])
        elif key == "position":
            self.root_position = self.numbers(line, values, 3, "root position")
        elif key == "orientation":
            self.root_orientation = self.numbers(line, values, 3, "root orientation")
        else:
            raise self.fail(
                line, f"unknown keyword {key!r} in :root.", "order, axis, position, orientation"
            )

    def _bone_line(
        self, line: int, key: str, values: list[str], text: str, draft: _BoneDraft
    ) -> None:
        if key == "id" or key in _IGNORED_BONE_KEYWORDS:
            return
        if key == "name":
            if len(values) != 1:
                raise self.fail(line, "a bone name must be one word.", "name <bone>")
            draft.name = values[0]
        elif key == "direction":
            draft.direction = self.numbers(line, values, 3, "direction")
        elif key == "length":
            draft.length = float(self.numbers(line, values, 1, "length")[0])
        elif key == "axis":
            if len(values) != 4:
                raise self.fail(line, f"axis has {len(values)} entries.", "axis a1 a2 a3 XYZ")
            draft.axis = self.numbers(line, values[:3], 3, "axis")
            draft.axis_order = self._axis_order(line, values[3])
        elif key == "dof":
            dofs = tuple(value.lower() for value in values)
            for dof in dofs:
                if dof in _TRANSLATION_DOFS:
                    raise self.fail(
                        line,
                        f"bone {draft.name or '?'!r} has the translation dof {dof!r}; "
                        "only rotations are supported.",
                        "dof names among rx ry rz",
                        "Convert the motion without bone translation or stretch.",
                    )
                if dof not in _ROTATION_DOFS:
                    raise self.fail(line, f"unknown dof {dof!r}.", "dof names among rx ry rz")
            if len(set(dofs)) != len(dofs):
                raise self.fail(line, "a dof is listed twice.", "distinct dof names")
            draft.dofs, draft.dof_line = dofs, line
        elif key == "limits":
            draft.limits_line = line
            draft.limits.extend(self._limits(line, text[len("limits") :]))
        else:
            raise self.fail(
                line,
                f"unknown keyword {key!r} in a bone block.",
                ", ".join(_BONE_KEYWORDS + _IGNORED_BONE_KEYWORDS),
            )

    def _limits(self, line: int, text: str) -> list[tuple[float, float]]:
        inner = text.strip()
        pairs = re.findall(r"\(([^()]*)\)", inner)
        if not pairs or re.sub(r"\([^()]*\)", "", inner).strip():
            raise self.fail(line, f"limits {inner!r}.", "parenthesised pairs such as (-160 20)")
        result = []
        for pair in pairs:
            low, high = self.numbers(line, pair.replace(",", " ").split(), 2, "limit")
            result.append((float(low), float(high)))
        return result

    def _checked(self, draft: _BoneDraft) -> AsfBone:
        """The bone of a complete begin/end block; its parent is set later, from :hierarchy."""
        name, direction, length = draft.name, draft.direction, draft.length
        if name is None or direction is None or length is None:
            missing = [
                key
                for key, value in (("name", name), ("direction", direction), ("length", length))
                if value is None
            ]
            raise self.fail(draft.line, f"the bone has no {' or '.join(missing)} line.")
        norm = float(np.linalg.norm(direction))
        if norm == 0:
            raise self.fail(draft.line, f"bone {name} has a zero direction.")
        if draft.limits and len(draft.limits) != len(draft.dofs):
            raise self.fail(
                draft.limits_line,
                f"bone {name} has {len(draft.limits)} limits for {len(draft.dofs)} dofs.",
                "one (low high) pair per dof",
            )
        if name == "root" or any(other.name == name for other in self.bones):
            raise self.fail(draft.line, f"a second bone named {name!r}.", "unique names")
        return AsfBone(
            name=name,
            parent=-1,
            direction=direction / norm,
            length=length,
            axis=self._radians(draft.axis),
            axis_order=draft.axis_order,
            dofs=draft.dofs,
            limits=tuple(draft.limits),
            line=draft.line,
        )

    def _tree(self) -> tuple[AsfBone, ...]:
        """The bones in depth-first order along :hierarchy, checked for unknowns and cycles."""
        bones = {bone.name: bone for bone in self.bones}
        parent_of: dict[str, tuple[str, int]] = {}
        children: dict[str, list[str]] = {}
        for parent, child, line in self.hierarchy:
            for name in (parent, child):
                if name != "root" and name not in bones:
                    raise self.fail(
                        line,
                        f"unknown bone {name!r} in the hierarchy.",
                        "root or a bone defined in :bonedata",
                    )
            if child == "root":
                raise self.fail(line, "the root is listed as a child.", "root has no parent")
            if child in parent_of:
                raise self.fail(
                    line,
                    f"bone {child!r} has a second parent ({parent!r}; the first on line "
                    f"{parent_of[child][1]}).",
                    "one parent per bone",
                )
            parent_of[child] = (parent, line)
            children.setdefault(parent, []).append(child)
        ordered: list[AsfBone] = []
        stack: list[tuple[str, int]] = [(child, -1) for child in reversed(children.get("root", []))]
        while stack:
            name, parent_index = stack.pop()
            ordered.append(dataclasses.replace(bones[name], parent=parent_index))
            index = len(ordered) - 1
            stack.extend((child, index) for child in reversed(children.get(name, [])))
        placed = {bone.name for bone in ordered}
        for bone in self.bones:
            if bone.name in placed:
                continue
            if bone.name in parent_of:
                raise self.fail(
                    parent_of[bone.name][1],
                    f"bone {bone.name!r} is in a cycle of parents that never reaches the root.",
                    "a tree: every bone descends from root",
                )
            raise self.fail(
                bone.line,
                f"bone {bone.name!r} does not appear in :hierarchy.",
                "every bone of :bonedata placed in :hierarchy",
            )
        return tuple(ordered)


def _read_amc_values(
    file_name: str, lines: list[str], asf: AsfSkeleton
) -> tuple[dict[str, np.ndarray], bool]:
    """Each channel owner's ``(n_frames, n_values)`` array, and whether angles are in degrees."""
    channels: dict[str, tuple[str, ...]] = {"root": asf.root_order}
    channels.update({bone.name: bone.dofs for bone in asf.bones})
    needed = [name for name, names in channels.items() if names]
    rows: dict[str, list[np.ndarray]] = {name: [] for name in needed}
    in_degrees = asf.angles_in_degrees
    n_frames = 0
    frame_number: int | None = None
    frame_line = 0
    seen: dict[str, int] = {}

    def close_frame() -> None:
        for name in needed:
            if name not in seen:
                raise BadDataError(
                    f"{file_name} line {frame_line}: frame {frame_number} has no line for "
                    f"{'the root' if name == 'root' else repr(name)}.",
                    "one line for the root and for every bone with degrees of freedom",
                    "The file may be truncated or not fully specified.",
                )

    for number, raw in enumerate(lines, start=1):
        text = raw.replace(",", " ").strip()  # commas are whitespace in Acclaim files
        if not text or text.startswith("#"):
            continue
        if text.startswith(":"):
            keyword = text.upper()
            if keyword == ":DEGREES":
                in_degrees = True
            elif keyword == ":RADIANS":
                in_degrees = False
            continue
        words = text.split()
        if len(words) == 1 and words[0].isascii() and words[0].isdigit():
            new_number = int(words[0])
            if frame_number is not None:
                close_frame()
                if new_number != frame_number + 1:
                    raise BadDataError(
                        f"{file_name} line {number}: frame {new_number} follows frame "
                        f"{frame_number}.",
                        f"frame {frame_number + 1}: frames numbered in order, one by one",
                    )
            frame_number, frame_line, seen = new_number, number, {}
            n_frames += 1
            continue
        name = words[0]
        if frame_number is None:
            raise BadDataError(
                f"{file_name} line {number}: values for {name!r} before the first frame number.",
                _AMC_EXPECTED,
            )
        if name not in channels:
            raise BadDataError(
                f"{file_name} line {number}: unknown bone {name!r}.",
                f"root or a bone of the skeleton {asf.name!r}",
                "Check that the AMC belongs to this ASF.",
            )
        if name in seen:
            raise BadDataError(
                f"{file_name} line {number}: a second line for {name!r} in frame "
                f"{frame_number} (the first on line {seen[name]}).",
                "one line per bone per frame",
            )
        expected = channels[name]
        if len(words) - 1 != len(expected):
            raise BadDataError(
                f"{file_name} line {number}: {name} has {len(words) - 1} values, "
                f"expected {len(expected)}.",
                f"the values of its channels {' '.join(expected) or '(none)'}",
            )
        if expected:
            rows[name].append(parse_numbers(words[1:], f"{file_name} line {number}"))
        seen[name] = number
    if frame_number is None:
        raise BadDataError(f"{file_name} holds no frames.", _AMC_EXPECTED)
    close_frame()
    arrays = {name: np.zeros((n_frames, 0)) for name in channels}
    arrays.update({name: np.array(values) for name, values in rows.items()})
    return arrays, in_degrees


def _conjugated(axis: np.ndarray, axis_order: str, motion: np.ndarray) -> np.ndarray:
    """``C @ M @ C.T`` with ``C`` the local frame of ``axis`` (radians) and ``M`` ``(n, 3, 3)``."""
    frame = euler_to_matrix(axis, axis_order.lower())
    return frame @ motion @ frame.T


def _dof_rotations(letters: str, values: np.ndarray, in_degrees: bool) -> np.ndarray:
    """Fixed-axis rotations ``(n, 3, 3)`` of angles ``values`` ``(n, len(letters))``."""
    n_frames = values.shape[0]
    if not letters:
        return np.broadcast_to(np.eye(3), (n_frames, 3, 3))
    angles = np.zeros((n_frames, 3))
    angles[:, : len(letters)] = values
    # Missing axes come last with a zero angle, which leaves the rotation unchanged.
    order = letters + "".join(axis for axis in "xyz" if axis not in letters)
    return euler_to_matrix(angles, order, degrees=in_degrees)


def _motion(
    asf: AsfSkeleton,
    values: dict[str, np.ndarray],
    in_degrees: bool,
    frame_rate: float | None,
    source_file: str,
) -> ParsedMotion:
    root_values = values["root"]
    n_frames = root_values.shape[0]
    translation = np.broadcast_to(asf.root_position, (n_frames, 3)).copy()
    rotation_letters, rotation_columns = "", []
    for column, channel in enumerate(asf.root_order):
        if channel.startswith("T"):
            translation[:, "XYZ".index(channel[1])] += root_values[:, column]
        else:
            rotation_letters += channel[1].lower()
            rotation_columns.append(column)
    root_motion = _dof_rotations(rotation_letters, root_values[:, rotation_columns], in_degrees)

    names = ["root"]
    parents = [-1]
    offsets = [np.zeros(3)]
    rotations = [_conjugated(asf.root_orientation, asf.root_axis, root_motion)]
    joint_of_bone: list[int] = []
    has_child = {bone.parent for bone in asf.bones}
    for index, bone in enumerate(asf.bones):
        parent_joint = 0 if bone.parent < 0 else joint_of_bone[bone.parent]
        parent_vector = np.zeros(3) if bone.parent < 0 else asf.bones[bone.parent].vector
        joint_of_bone.append(len(names))
        names.append(bone.name)
        parents.append(parent_joint)
        offsets.append(parent_vector)
        motion = _dof_rotations("".join(dof[1] for dof in bone.dofs), values[bone.name], in_degrees)
        rotations.append(_conjugated(bone.axis, bone.axis_order, motion))
        if index not in has_child:
            names.append(f"{bone.name}_end")
            parents.append(joint_of_bone[index])
            offsets.append(bone.vector)
            rotations.append(np.broadcast_to(np.eye(3), (n_frames, 3, 3)))
    local = np.stack(rotations, axis=1)
    return ParsedMotion(
        skeleton=expmap_layout_skeleton(names, parents, np.array(offsets)),
        frames=frames_from_rotations(translation, local),
        frame_rate=frame_rate,
        source_file=source_file,
    )
