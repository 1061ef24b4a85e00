"""Joint trees as arrays, and forward kinematics of exponential-map frames in numpy.

Conventions, written once:

* A skeleton is ``n_joints`` joints numbered so that ``parents[j] < j``; the
  root (or each root) has parent ``-1``. ``offsets[j]`` is the bone from the
  parent's joint to joint ``j``, expressed in the parent's frame, in the
  skeleton's raw units.
* Frames come first: ``(n_frames, n_channels)``. Joint ``j``'s rotation is the
  exponential map (axis times angle, radians) in columns
  ``expmap_columns[j]``; the root position is in ``root_position_columns``.
* Positions are ``(n_frames, n_joints, 3)``, in the raw units of ``offsets``
  times an optional display scale.

:func:`forward_kinematics` follows the code of Martinez et al. (2017) and
Li et al. (2018), which is where the 117-column CMU format comes from: it
uses row vectors, so a joint's accumulated rotation is ``R_j @ A_parent`` and
its position is ``p_parent + offset_j @ A_parent``. Keeping that convention
makes our poses identical to the figures of those papers.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np
from scipy.spatial.transform import Rotation

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.validation import check_frames


@dataclass(frozen=True, eq=False)
class Skeleton:
    """A kinematic tree stored as arrays: names, parents and bone offsets.

    The tree is what forward kinematics and skeleton plots need; the column
    maps say where each joint's exponential map and the root position sit in
    a frame. Arrays are copied and made read-only, so a skeleton can be shared.

    Args:
        joint_names: one name per joint, ``n_joints`` strings.
        parents: int array ``(n_joints,)``; ``parents[j] < j``, ``-1`` for a root.
        offsets: float array ``(n_joints, 3)``, bone from parent to joint in
            the parent's frame (raw units).
        expmap_columns: int array ``(n_joints, 3)``, frame columns of each
            joint's exponential map, or ``None`` when the format has none.
        root_position_columns: int array ``(3,)``, frame columns of the root
            position, or ``None`` (the root then stays at its offset).
        offset_scale: factor that turns raw units into display units
            (70 for the CMU 38-joint release). Defaults to 1.

    Example:
    >>> tree = Skeleton(("hip", "knee"), parents=[-1, 0], offsets=[[0, 0, 0], [0, -1, 0]])
    >>> tree.n_joints, tree.parents.tolist()
    (2, [-1, 0])
    """

    joint_names: tuple[str, ...]
    parents: np.ndarray
    offsets: np.ndarray
    expmap_columns: np.ndarray | None = None
    root_position_columns: np.ndarray | None = None
    offset_scale: float = 1.0

    def __post_init__(self) -> None:
        names = tuple(str(name) for name in self.joint_names)
        parents = _frozen(np.asarray(self.parents), np.int64, "parents")
        n_joints = len(names)
        if parents.shape != (n_joints,):
            raise UsageError(
                f"A skeleton needs one parent per joint: {n_joints} joint names but "
                f"parents of shape {parents.shape}.",
                f"parents of shape ({n_joints},)",
            )
        bad = np.flatnonzero((parents >= np.arange(n_joints)) | (parents < -1))
        if bad.size:
            j = int(bad[0])
            raise UsageError(
                f"Joint {j} has parent {int(parents[j])}; joints must come after their parents.",
                "parents[j] < j, and -1 for a root",
                "Reorder the joints so that every parent precedes its children.",
            )
        offsets = _frozen(np.asarray(self.offsets), np.float64, "offsets")
        if offsets.shape != (n_joints, 3):
            raise UsageError(
                f"The skeleton offsets have shape {offsets.shape}.",
                f"shape ({n_joints}, 3), one 3-D bone per joint",
            )
        expmap = self.expmap_columns
        if expmap is not None:
            expmap = _frozen(np.asarray(expmap), np.int64, "expmap_columns")
            if expmap.shape != (n_joints, 3) or np.any(expmap < 0):
                raise UsageError(
                    f"The skeleton's expmap_columns have shape {expmap.shape}.",
                    f"shape ({n_joints}, 3) of non-negative column indices",
                )
        root = self.root_position_columns
        if root is not None:
            root = _frozen(np.asarray(root), np.int64, "root_position_columns")
            if root.shape != (3,) or np.any(root < 0):
                raise UsageError(
                    f"The skeleton's root_position_columns have shape {root.shape}.",
                    "three non-negative column indices",
                )
        scale = float(self.offset_scale)
        if not np.isfinite(scale) or scale <= 0:
            raise UsageError(f"The offset_scale is {scale}.", "a positive finite number")
        # Frozen dataclass: the normalised values are stored through object.__setattr__.
        object.__setattr__(self, "joint_names", names)
        object.__setattr__(self, "parents", parents)
        object.__setattr__(self, "offsets", offsets)
        object.__setattr__(self, "expmap_columns", expmap)
        object.__setattr__(self, "root_position_columns", root)
        object.__setattr__(self, "offset_scale", scale)

    @property
    def n_joints(self) -> int:
        """Number of joints."""
        return len(self.joint_names)

    @property
    def n_channels(self) -> int:
        """Smallest frame width that holds every column the skeleton reads."""
        used = [np.array([-1])]
        if self.expmap_columns is not None:
            used.append(self.expmap_columns.ravel())
        if self.root_position_columns is not None:
            used.append(self.root_position_columns)
        return int(np.concatenate(used).max()) + 1

    def bone_lengths(self) -> np.ndarray:
        """Length of each joint's offset, ``(n_joints,)``, raw units."""
        return np.linalg.norm(self.offsets, axis=1)


def _frozen(array: np.ndarray, dtype: type, name: str) -> np.ndarray:
    if not np.all(np.isfinite(array.astype(np.float64, copy=False))):
        raise UsageError(f"The skeleton's '{name}' hold NaN or infinite values.", "finite numbers")
    result = np.array(array, dtype=dtype, copy=True)
    result.flags.writeable = False
    return result


@functools.cache
def cmu38_skeleton() -> Skeleton:
    """The 38-joint tree of the 117-column CMU exponential-map format.

    The figures ship with the package (``skeleton_cmu38.json``, from the
    release of Li et al. 2018), so this works without any data folder. The
    source names no joints: they are called ``joint_00`` .. ``joint_37``.

    Example:
    >>> tree = cmu38_skeleton()
    >>> tree.n_joints, tree.n_channels, tree.offset_scale
    (38, 117, 70.0)
    """
    resource = resources.files("mocap_seq2seq.motion").joinpath("skeleton_cmu38.json")
    text = resource.read_text("utf-8")
    return skeleton_from_json(text)


def skeleton_from_json(text: str) -> Skeleton:
    """A skeleton from the JSON layout of ``skeleton_cmu38.json``.

    Keys: ``n_joints``, ``parent``, ``offset_raw``, ``expmap_columns``,
    ``root_position_columns``, optional ``joint_names`` and
    ``offset_scale_used_for_display``.
    """
    content = json.loads(text)
    n_joints = int(content["n_joints"])
    names = content.get("joint_names") or [f"joint_{j:02d}" for j in range(n_joints)]
    return Skeleton(
        joint_names=tuple(names),
        parents=np.array(content["parent"], dtype=np.int64),
        offsets=np.array(content["offset_raw"], dtype=np.float64),
        expmap_columns=np.array(content["expmap_columns"], dtype=np.int64),
        root_position_columns=np.array(content["root_position_columns"], dtype=np.int64),
        offset_scale=float(content.get("offset_scale_used_for_display", 1.0)),
    )


def expmap_to_rotation_matrices(expmap: np.ndarray) -> np.ndarray:
    """Rotation matrices of exponential maps (axis times angle), through scipy.

    :meth:`scipy.spatial.transform.Rotation.from_rotvec` goes through the unit
    quaternion with a Taylor series near a zero angle, so a zero vector gives
    the identity exactly and small vectors lose no precision.

    Args:
        expmap: float array ``(..., 3)``, radians.

    Returns:
        float64 array ``(..., 3, 3)``; ``R @ v`` rotates column vector ``v``.

    Example:
    >>> R = expmap_to_rotation_matrices(np.array([0.0, 0.0, np.pi / 2]))
    >>> np.round(R @ [1.0, 0.0, 0.0], 6) + 0.0
    array([0., 1., 0.])
    >>> expmap_to_rotation_matrices(np.zeros((2, 5, 3))).shape
    (2, 5, 3, 3)
    """
    vectors = np.asarray(expmap, dtype=np.float64)
    if vectors.ndim == 0 or vectors.shape[-1] != 3:
        raise UsageError(
            f"Exponential maps must have 3 components in the last axis. Got shape {vectors.shape}.",
            "shape (..., 3)",
        )
    return Rotation.from_rotvec(vectors).as_matrix()


def forward_kinematics(
    skeleton: Skeleton, frames: np.ndarray, *, use_offset_scale: bool = False
) -> np.ndarray:
    """3-D joint positions of exponential-map frames.

    Each joint's rotation is composed with its parent's accumulated rotation,
    and its position is the parent's position plus its offset rotated by the
    parent's accumulated rotation (row vectors, as the code of Martinez et al.
    and Li et al. does it). The root sits at its offset plus the root position
    columns.

    Args:
        skeleton: the tree; must have ``expmap_columns``.
        frames: float array ``(n_frames, n_channels)`` (117 columns for the
            CMU 38-joint format), rotations in radians.
        use_offset_scale: multiply all positions (bones and root travel alike)
            by ``skeleton.offset_scale``. Defaults to False (raw units). The
            reference code scales only the bones; scaling both keeps the root
            travel in proportion to the body.

    Returns:
        float64 array ``(n_frames, n_joints, 3)``.

    Example:
    >>> tree = cmu38_skeleton()
    >>> positions = forward_kinematics(tree, np.zeros((4, 117)))
    >>> positions.shape
    (4, 38, 3)
    >>> bool(np.allclose(positions[0, 3], tree.offsets[:4].sum(axis=0)))
    True
    """
    if skeleton.expmap_columns is None:
        raise UsageError(
            "This skeleton has no exponential-map columns, so its poses cannot be computed.",
            "a skeleton with expmap_columns (n_joints, 3)",
            "Use a skeleton of an exponential-map format, such as cmu38_skeleton().",
        )
    array = check_frames(frames, name="frames", fix="Clean the frames first.")
    if array.shape[1] < skeleton.n_channels:
        raise UsageError(
            f"Forward kinematics needs frames of shape (n_frames, {skeleton.n_channels}). "
            f"Got shape {array.shape}.",
            f"at least {skeleton.n_channels} channels per frame, frames first",
            "Pass the raw frames (not normalised or channel-dropped ones).",
        )
    n_frames = array.shape[0]
    rotations = expmap_to_rotation_matrices(array[:, skeleton.expmap_columns])
    accumulated = np.empty_like(rotations)
    positions = np.empty((n_frames, skeleton.n_joints, 3))
    if skeleton.root_position_columns is not None:
        root_position = array[:, skeleton.root_position_columns]
    else:
        root_position = np.zeros((n_frames, 3))
    for joint, parent in enumerate(skeleton.parents):
        if parent < 0:
            accumulated[:, joint] = rotations[:, joint]
            positions[:, joint] = skeleton.offsets[joint] + root_position
        else:
            parent_rotation = accumulated[:, parent]
            positions[:, joint] = positions[:, parent] + np.einsum(
                "k,fkl->fl", skeleton.offsets[joint], parent_rotation
            )
            accumulated[:, joint] = rotations[:, joint] @ parent_rotation
    if use_offset_scale:
        positions *= skeleton.offset_scale
    return positions


def up_axis(positions: np.ndarray) -> int:
    """Guess which axis points up: the one along which the body is tallest.

    Files disagree (CMU and most BVH are y-up, some exports z-up) and few say
    so. A standing or moving person is taller than wide most of the time, so
    the axis with the largest median (over frames) spread of the joints is
    taken as up; ties go to y.

    Args:
        positions: ``(n_frames, n_joints, 3)`` joint positions.

    Example:
    >>> standing = np.zeros((2, 3, 3)); standing[:, 1, 2] = 1.0; standing[:, 2, 2] = 1.8
    >>> up_axis(standing)
    2
    """
    array = np.asarray(positions, dtype=np.float64)
    if array.ndim != 3 or array.shape[-1] != 3:
        raise UsageError(f"Positions of shape {array.shape}.", "(n_frames, n_joints, 3)")
    spread = np.median(array.max(axis=1) - array.min(axis=1), axis=0)
    best = int(np.argmax(spread))
    return 1 if np.isclose(spread[best], spread[1]) else best
