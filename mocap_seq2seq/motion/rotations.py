"""Euler angles, rotation matrices and exponential maps, in numpy.

Conventions, written once:

* Matrices act on column vectors: ``R @ v`` rotates ``v``. (The toolkit's
  forward kinematics uses row vectors; :mod:`mocap_seq2seq.data.formats.motion`
  says how a file's rotations are turned into its frames.)
* An Euler ``order`` is three distinct axis letters (Tait-Bryan angles), with
  scipy's meaning of case. Upper case is *intrinsic*: each rotation turns
  about an axis of the frame the previous ones produced, so ``"ZXY"`` is
  ``Rz @ Rx @ Ry``; that is what a BVH channel list ``Zrotation Xrotation
  Yrotation`` means. Lower case is *extrinsic*: each rotation turns about a
  fixed axis, so ``"xyz"`` rotates about x, then y, then z, and is
  ``Rz @ Ry @ Rx``; that is the Acclaim (ASF/AMC) convention. Angle ``i``
  always belongs to letter ``i``, whatever the case.
* An exponential map is the rotation vector: unit axis times angle in radians,
  the angle in ``[0, pi]``. At exactly ``pi`` the axis sign is arbitrary, since
  ``v`` and ``-v`` are then the same rotation.
* Angles are radians unless ``degrees=True``.

Every function takes any leading shape, ``(..., 3)`` or ``(..., 3, 3)``, so a
whole take converts in one call.
"""

from __future__ import annotations

import numpy as np

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.motion.skeleton import expmap_to_rotation_matrices

_AXES = {"x": 0, "y": 1, "z": 2}

#: Below this value of ``cos`` of the middle angle, the first and last axes are
#: (numerically) aligned: only their sum or difference is defined, and the last
#: angle is set to zero, as scipy does.
_GIMBAL_LOCK = 1e-9


def euler_to_matrix(angles: np.ndarray, order: str, *, degrees: bool = False) -> np.ndarray:
    """Rotation matrices of Tait-Bryan angles.

    Args:
        angles: float array ``(..., 3)``; angle ``i`` turns about ``order[i]``.
        order: three distinct letters of ``xyz``, all upper case (intrinsic)
            or all lower case (extrinsic); see the module docstring.
        degrees: the angles are in degrees. Defaults to False (radians).

    Returns:
        float64 array ``(..., 3, 3)``, for column vectors.

    Example:
    >>> R = euler_to_matrix(np.array([90.0, 90.0, 0.0]), "ZXY", degrees=True)
    >>> np.round(R @ [0.0, 1.0, 0.0], 6) + 0.0  # Rx turns y to z; Rz leaves z
    array([0., 0., 1.])
    >>> R = euler_to_matrix(np.array([90.0, 90.0, 0.0]), "zxy", degrees=True)
    >>> np.round(R @ [0.0, 1.0, 0.0], 6) + 0.0  # Rz turns y to -x; Rx leaves x
    array([-1.,  0.,  0.])
    """
    axes, intrinsic = _parse_order(order)
    values = _as_vectors(angles, "angles")
    if degrees:
        values = np.deg2rad(values)
    factors = [_axis_rotation(axis, values[..., i]) for i, axis in enumerate(axes)]
    if not intrinsic:
        factors.reverse()  # fixed axes: the first rotation is applied last, on the right
    return factors[0] @ factors[1] @ factors[2]


def matrix_to_euler(matrices: np.ndarray, order: str, *, degrees: bool = False) -> np.ndarray:
    """Tait-Bryan angles of rotation matrices; the inverse of :func:`euler_to_matrix`.

    The first and last angles are in ``(-pi, pi]`` and the middle one in
    ``[-pi/2, pi/2]``. At gimbal lock (middle angle at ``+-pi/2``) only a
    combination of the other two is defined: the third angle is set to zero.
    Either way ``euler_to_matrix(matrix_to_euler(R, order), order)`` is ``R``.

    Args:
        matrices: float array ``(..., 3, 3)`` of rotation matrices (column vectors).
        order: as for :func:`euler_to_matrix`.
        degrees: return degrees. Defaults to False (radians).

    Returns:
        float64 array ``(..., 3)``.

    Example:
    >>> angles = np.array([10.0, -20.0, 30.0])
    >>> R = euler_to_matrix(angles, "YZX", degrees=True)
    >>> np.round(matrix_to_euler(R, "YZX", degrees=True), 6) + 0.0
    array([ 10., -20.,  30.])
    """
    axes, intrinsic = _parse_order(order)
    rotations = _as_matrices(matrices)
    if not intrinsic:
        # Turning about fixed x, y, z is turning about moving z, y, x in reverse order.
        angles = _intrinsic_angles(rotations, axes[::-1])[..., ::-1]
    else:
        angles = _intrinsic_angles(rotations, axes)
    return np.rad2deg(angles) if degrees else angles


def matrix_to_expmap(matrices: np.ndarray) -> np.ndarray:
    """Exponential maps (rotation vectors) of rotation matrices: the log map.

    Goes through the unit quaternion (Shepperd's method: the largest of its
    four components is computed from the diagonal and divides the others), so
    the result stays accurate near a zero angle, where ``sin(angle)`` vanishes,
    and near ``pi``, where ``R - R.T`` vanishes and the axis must come from the
    symmetric part. The angle is ``2 * atan2(|v|, w)`` with ``w >= 0``, which
    puts it in ``[0, pi]``.

    Args:
        matrices: float array ``(..., 3, 3)`` of rotation matrices (column vectors).

    Returns:
        float64 array ``(..., 3)``; ``expmap_to_rotation_matrices`` inverts it.

    Example:
    >>> R = euler_to_matrix(np.array([0.0, 0.0, 90.0]), "xyz", degrees=True)
    >>> np.round(matrix_to_expmap(R) / np.pi, 6) + 0.0
    array([0. , 0. , 0.5])
    >>> matrix_to_expmap(np.eye(3)) + 0.0
    array([0., 0., 0.])
    """
    quaternions = _matrix_to_quaternion(_as_matrices(matrices))
    w = quaternions[..., 0]
    v = quaternions[..., 1:]
    sin_half = np.linalg.norm(v, axis=-1)
    angle = 2.0 * np.arctan2(sin_half, w)
    small = sin_half < 1e-8
    # angle / sin(angle / 2) -> 2 / cos(angle / 2) as the angle goes to zero (w is then ~1).
    scale = np.where(small, 2.0 / np.where(small, w, 1.0), angle / np.where(small, 1.0, sin_half))
    return v * scale[..., None]


def euler_to_expmap(angles: np.ndarray, order: str, *, degrees: bool = False) -> np.ndarray:
    """Exponential maps of Tait-Bryan angles (see :func:`euler_to_matrix` for ``order``).

    Example:
    >>> np.round(euler_to_expmap(np.array([0.0, 45.0, 0.0]), "XYZ", degrees=True), 6)
    array([0.      , 0.785398, 0.      ])
    """
    return matrix_to_expmap(euler_to_matrix(angles, order, degrees=degrees))


def expmap_to_euler(expmap: np.ndarray, order: str, *, degrees: bool = False) -> np.ndarray:
    """Tait-Bryan angles of exponential maps (see :func:`matrix_to_euler`).

    Example:
    >>> # A turn about z: in the order "zyx" its angle comes first.
    >>> np.round(expmap_to_euler(np.array([0.0, 0.0, np.pi / 3]), "zyx", degrees=True), 6) + 0.0
    array([60.,  0.,  0.])
    """
    _parse_order(order)  # a bad order is a usage error before any arithmetic
    return matrix_to_euler(_expmap_matrices(expmap), order, degrees=degrees)


def _expmap_matrices(expmap: np.ndarray) -> np.ndarray:
    return expmap_to_rotation_matrices(_as_vectors(expmap, "exponential maps"))


def _parse_order(order: str) -> tuple[tuple[int, int, int], bool]:
    """Axis indices of an order string and whether it is intrinsic (upper case)."""
    if (
        not isinstance(order, str)
        or len(order) != 3
        or not (order.isupper() or order.islower())
        or set(order.lower()) != set("xyz")
    ):
        raise UsageError(
            f"The Euler order {order!r} is not three distinct axis letters of one case.",
            "a permutation of 'XYZ' (intrinsic, e.g. 'ZXY' as in BVH) "
            "or of 'xyz' (extrinsic, e.g. 'xyz' as in ASF/AMC)",
        )
    first, second, third = (_AXES[letter] for letter in order.lower())
    return (first, second, third), order.isupper()


def _as_vectors(values: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0 or array.shape[-1] != 3:
        raise UsageError(
            f"The {what} must have 3 components in the last axis. Got shape {array.shape}.",
            "shape (..., 3)",
        )
    return array


def _as_matrices(matrices: np.ndarray) -> np.ndarray:
    array = np.asarray(matrices, dtype=np.float64)
    if array.ndim < 2 or array.shape[-2:] != (3, 3):
        raise UsageError(
            f"Rotation matrices must be 3 x 3 in the last two axes. Got shape {array.shape}.",
            "shape (..., 3, 3)",
        )
    return array


def _axis_rotation(axis: int, angles: np.ndarray) -> np.ndarray:
    """Rotations by ``angles`` about coordinate axis ``axis``, ``(..., 3, 3)``."""
    cos, sin = np.cos(angles), np.sin(angles)
    result = np.zeros(angles.shape + (3, 3))
    # (axis, next, after) is a cyclic permutation of (x, y, z): next turns towards after.
    following, after = (axis + 1) % 3, (axis + 2) % 3
    result[..., axis, axis] = 1.0
    result[..., following, following] = cos
    result[..., after, after] = cos
    result[..., following, after] = -sin
    result[..., after, following] = sin
    return result


def _intrinsic_angles(rotations: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Angles ``(a, b, c)`` with ``R = R_i(a) @ R_j(b) @ R_k(c)`` for distinct axes i, j, k.

    Writing out the product gives ``R[i, k] = s sin(b)``, and the entries of
    row ``i`` and column ``k`` outside ``R[i, k]`` hold ``cos(b)`` times the
    sine and cosine of ``c`` and ``a``; ``s`` is +1 when (i, j, k) is a cyclic
    permutation of (x, y, z), else -1.
    """
    i, j, k = axes
    sign = 1.0 if (j - i) % 3 == 1 else -1.0
    cos_middle = np.hypot(rotations[..., i, i], rotations[..., i, j])
    middle = np.arctan2(sign * rotations[..., i, k], cos_middle)
    first = np.arctan2(-sign * rotations[..., j, k], rotations[..., k, k])
    last = np.arctan2(-sign * rotations[..., i, j], rotations[..., i, i])
    locked = cos_middle < _GIMBAL_LOCK
    if np.any(locked):
        # With the last angle zero, R = R_i(a) @ R_j(b), so R_i(a) = R @ R_j(-b): read a
        # from the (j, k) plane of that matrix, where it turns j towards k by s * a.
        turned = rotations @ _axis_rotation(j, -middle)
        first_locked = np.arctan2(sign * turned[..., k, j], turned[..., j, j])
        first = np.where(locked, first_locked, first)
        last = np.where(locked, 0.0, last)
    return np.stack([first, middle, last], axis=-1)


def _matrix_to_quaternion(rotations: np.ndarray) -> np.ndarray:
    """Unit quaternions ``(w, x, y, z)`` with ``w >= 0``, by Shepperd's method."""
    r = rotations
    trace = r[..., 0, 0] + r[..., 1, 1] + r[..., 2, 2]
    # Four candidate quaternions, one per largest component; each is
    # 4 * q_m * (q_w, q_x, q_y, q_z) for its m, and is normalised below.
    candidates = np.stack(
        [
            np.stack(
                [
                    1.0 + trace,
                    r[..., 2, 1] - r[..., 1, 2],
                    r[..., 0, 2] - r[..., 2, 0],
                    r[..., 1, 0] - r[..., 0, 1],
                ],
                axis=-1,
            ),
            np.stack(
                [
                    r[..., 2, 1] - r[..., 1, 2],
                    1.0 + r[..., 0, 0] - r[..., 1, 1] - r[..., 2, 2],
                    r[..., 0, 1] + r[..., 1, 0],
                    r[..., 0, 2] + r[..., 2, 0],
                ],
                axis=-1,
            ),
            np.stack(
                [
                    r[..., 0, 2] - r[..., 2, 0],
                    r[..., 0, 1] + r[..., 1, 0],
                    1.0 - r[..., 0, 0] + r[..., 1, 1] - r[..., 2, 2],
                    r[..., 1, 2] + r[..., 2, 1],
                ],
                axis=-1,
            ),
            np.stack(
                [
                    r[..., 1, 0] - r[..., 0, 1],
                    r[..., 0, 2] + r[..., 2, 0],
                    r[..., 1, 2] + r[..., 2, 1],
                    1.0 - r[..., 0, 0] - r[..., 1, 1] + r[..., 2, 2],
                ],
                axis=-1,
            ),
        ],
        axis=-2,
    )
    diagonal = np.stack([trace, r[..., 0, 0], r[..., 1, 1], r[..., 2, 2]], axis=-1)
    best = np.argmax(diagonal, axis=-1)
    chosen = np.take_along_axis(candidates, best[..., None, None], axis=-2)[..., 0, :]
    chosen = chosen / np.linalg.norm(chosen, axis=-1, keepdims=True)
    return np.where(chosen[..., :1] < 0.0, -chosen, chosen)
