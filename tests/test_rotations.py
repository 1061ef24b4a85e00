"""Euler angles, matrices and exponential maps against scipy's Rotation, the reference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.motion.rotations import (
    euler_to_expmap,
    euler_to_matrix,
    expmap_to_euler,
    matrix_to_euler,
    matrix_to_expmap,
)
from mocap_seq2seq.motion.skeleton import expmap_to_rotation_matrices

INTRINSIC = ["".join(axes) for axes in itertools.permutations("XYZ")]
ORDERS = INTRINSIC + [order.lower() for order in INTRINSIC]


def random_angles(seed: int, n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(seed)
    angles = rng.uniform(-np.pi, np.pi, (n, 3))
    angles[:, 1] /= 2  # the middle angle's own range, so that the angles come back as they went
    return angles


def test_there_are_twelve_orders() -> None:
    assert len(set(ORDERS)) == 12


@pytest.mark.parametrize("order", ORDERS)
def test_euler_to_matrix_matches_scipy(order: str) -> None:
    angles = random_angles(1)
    expected = Rotation.from_euler(order, angles).as_matrix()
    np.testing.assert_allclose(euler_to_matrix(angles, order), expected, atol=1e-12)


@pytest.mark.parametrize("order", ORDERS)
def test_degrees_are_radians_times_180_over_pi(order: str) -> None:
    angles = random_angles(2, n=20)
    np.testing.assert_allclose(
        euler_to_matrix(np.rad2deg(angles), order, degrees=True),
        euler_to_matrix(angles, order),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        matrix_to_euler(euler_to_matrix(angles, order), order, degrees=True),
        np.rad2deg(angles),
        atol=1e-9,
    )


@pytest.mark.parametrize("order", ORDERS)
def test_matrix_to_euler_matches_scipy_away_from_gimbal_lock(order: str) -> None:
    angles = random_angles(3)
    matrices = euler_to_matrix(angles, order)
    np.testing.assert_allclose(matrix_to_euler(matrices, order), angles, atol=1e-10)
    np.testing.assert_allclose(
        matrix_to_euler(matrices, order),
        Rotation.from_matrix(matrices).as_euler(order),
        atol=1e-10,
    )


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("middle", [np.pi / 2, -np.pi / 2, np.pi / 2 - 1e-10])
def test_matrix_to_euler_at_gimbal_lock_rebuilds_the_matrix(order: str, middle: float) -> None:
    angles = random_angles(4, n=50)
    angles[:, 1] = middle
    matrices = euler_to_matrix(angles, order)
    recovered = matrix_to_euler(matrices, order)
    assert np.all(np.isfinite(recovered))
    np.testing.assert_allclose(euler_to_matrix(recovered, order), matrices, atol=1e-9)


@pytest.mark.parametrize("order", ORDERS)
def test_euler_to_expmap_matches_scipy_rotvec(order: str) -> None:
    angles = random_angles(5)
    expected = Rotation.from_euler(order, angles).as_rotvec()
    result = euler_to_expmap(angles, order)
    near_pi = np.abs(np.linalg.norm(expected, axis=1) - np.pi) < 1e-6
    np.testing.assert_allclose(result[~near_pi], expected[~near_pi], atol=1e-10)
    # At an angle of pi, v and -v are the same rotation: compare matrices there.
    np.testing.assert_allclose(
        expmap_to_rotation_matrices(result),
        Rotation.from_rotvec(expected).as_matrix(),
        atol=1e-10,
    )


@pytest.mark.parametrize("order", ORDERS)
def test_euler_expmap_euler_round_trip_keeps_the_rotation(order: str) -> None:
    angles = random_angles(6)
    angles[:10, 1] = np.pi / 2  # gimbal lock: the angles may differ, the rotation may not
    recovered = expmap_to_euler(euler_to_expmap(angles, order), order)
    np.testing.assert_allclose(
        euler_to_matrix(recovered, order), euler_to_matrix(angles, order), atol=1e-9
    )


def test_euler_to_matrix_conventions_by_hand() -> None:
    # Intrinsic ZXY: R = Rz @ Rx @ Ry. Ry(90) sends z to x, then Rz(90) sends x to y.
    R = euler_to_matrix(np.array([90.0, 0.0, 90.0]), "ZXY", degrees=True)
    np.testing.assert_allclose(R @ [0.0, 0.0, 1.0], [0.0, 1.0, 0.0], atol=1e-12)
    # Extrinsic xyz: R = Rz @ Ry @ Rx. Rx(90) sends y to z, then Rz leaves z alone.
    R = euler_to_matrix(np.array([90.0, 0.0, 90.0]), "xyz", degrees=True)
    np.testing.assert_allclose(R @ [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], atol=1e-12)


@pytest.mark.parametrize("epsilon", [0.0, 1e-12, 1e-9, 1e-6, 1e-3])
def test_matrix_to_expmap_near_pi(epsilon: float) -> None:
    rng = np.random.default_rng(7)
    axes = rng.normal(size=(100, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    vectors = axes * (np.pi - epsilon)
    matrices = expmap_to_rotation_matrices(vectors)
    result = matrix_to_expmap(matrices)
    np.testing.assert_allclose(np.linalg.norm(result, axis=1), np.pi - epsilon, atol=1e-9)
    np.testing.assert_allclose(expmap_to_rotation_matrices(result), matrices, atol=1e-12)
    if epsilon >= 1e-6:  # clearly below pi, the axis sign is defined
        np.testing.assert_allclose(result, vectors, atol=1e-8)


@pytest.mark.parametrize("angle", [0.0, 1e-15, 1e-10, 1e-7, 1e-4])
def test_matrix_to_expmap_near_zero(angle: float) -> None:
    rng = np.random.default_rng(8)
    axes = rng.normal(size=(50, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    vectors = axes * angle
    result = matrix_to_expmap(expmap_to_rotation_matrices(vectors))
    np.testing.assert_allclose(result, vectors, rtol=1e-6, atol=1e-20)


def test_matrix_to_expmap_matches_scipy_on_random_rotations() -> None:
    rotations = Rotation.random(500, random_state=9)
    expected = rotations.as_rotvec()
    np.testing.assert_allclose(matrix_to_expmap(rotations.as_matrix()), expected, atol=1e-10)


def test_leading_shapes_are_kept() -> None:
    angles = np.zeros((2, 4, 3))
    assert euler_to_matrix(angles, "ZXY").shape == (2, 4, 3, 3)
    assert matrix_to_euler(np.broadcast_to(np.eye(3), (2, 4, 3, 3)), "xyz").shape == (2, 4, 3)
    assert matrix_to_expmap(np.broadcast_to(np.eye(3), (5, 3, 3))).shape == (5, 3)
    assert euler_to_expmap(np.zeros(3), "XYZ").shape == (3,)


@pytest.mark.parametrize("order", ["XYX", "xYz", "XY", "abc", "XYZW", "", 5])
def test_a_bad_order_is_a_usage_error(order: object) -> None:
    with pytest.raises(UsageError, match="Euler order"):
        euler_to_matrix(np.zeros(3), order)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="Euler order"):
        expmap_to_euler(np.zeros(3), order)  # type: ignore[arg-type]


def test_bad_shapes_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="3 components"):
        euler_to_matrix(np.zeros(4), "XYZ")
    with pytest.raises(UsageError, match="3 x 3"):
        matrix_to_expmap(np.zeros((3, 4)))
