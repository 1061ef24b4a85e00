"""Euler angles, rotation matrices and exponential maps, through scipy's ``Rotation``.

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
whole take converts in one call. The arithmetic is
:class:`scipy.spatial.transform.Rotation`'s, whose meaning of an order string
is the one above; this module adds the toolkit's checks of orders and shapes
(a :class:`~mocap_seq2seq.errors.UsageError` in the toolkit's message form)
and keeps scipy's gimbal-lock warning out of the user's way, since the result
there is still exact (see :func:`matrix_to_euler`).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.spatial.transform import Rotation

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.motion.skeleton import expmap_to_rotation_matrices

#: scipy's warning at gimbal lock; the angles it returns there still rebuild the matrix.
_GIMBAL_LOCK_WARNING = "Gimbal lock detected"


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
    _check_order(order)
    values = _as_vectors(angles, "angles")
    return Rotation.from_euler(order, values, degrees=degrees).as_matrix()


def matrix_to_euler(matrices: np.ndarray, order: str, *, degrees: bool = False) -> np.ndarray:
    """Tait-Bryan angles of rotation matrices; the inverse of :func:`euler_to_matrix`.

    The first and last angles are in ``[-pi, pi]`` and the middle one in
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
    _check_order(order)
    rotations = Rotation.from_matrix(_as_matrices(matrices))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_GIMBAL_LOCK_WARNING, category=UserWarning)
        return rotations.as_euler(order, degrees=degrees)


def matrix_to_expmap(matrices: np.ndarray) -> np.ndarray:
    """Exponential maps (rotation vectors) of rotation matrices: the log map.

    scipy goes through the unit quaternion, choosing the largest of its four
    components first, so the result stays accurate near a zero angle, where
    ``sin(angle)`` vanishes, and near ``pi``, where ``R - R.T`` vanishes and
    the axis must come from the symmetric part. The angle is in ``[0, pi]``.

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
    return Rotation.from_matrix(_as_matrices(matrices)).as_rotvec()


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
    _check_order(order)  # a bad order is a usage error before any arithmetic
    return matrix_to_euler(_expmap_matrices(expmap), order, degrees=degrees)


def _expmap_matrices(expmap: np.ndarray) -> np.ndarray:
    return expmap_to_rotation_matrices(_as_vectors(expmap, "exponential maps"))


def _check_order(order: str) -> None:
    """Refuse anything but three distinct axis letters of one case.

    scipy would also accept proper Euler orders such as ``"XYX"``, which no
    file format of the toolkit uses; refusing them here keeps one meaning.
    """
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
