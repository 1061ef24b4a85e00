"""Skeleton arrays, Rodrigues' formula and forward kinematics, against known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mocap_seq2seq.errors import BadDataError, UsageError
from mocap_seq2seq.motion.skeleton import (
    Skeleton,
    cmu38_skeleton,
    expmap_to_rotation_matrices,
    forward_kinematics,
)

WALKING_1 = Path("/work/shared/cmu/actions/train/walking/walking_1.txt")


def two_joint_skeleton() -> Skeleton:
    return Skeleton(
        ("root", "tip"),
        parents=np.array([-1, 0]),
        offsets=np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]),
        expmap_columns=np.array([[3, 4, 5], [6, 7, 8]]),
        root_position_columns=np.array([0, 1, 2]),
    )


def test_rodrigues_matches_scipy_on_random_vectors():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(500, 3)) * rng.uniform(0, 3, size=(500, 1))
    expected = Rotation.from_rotvec(vectors).as_matrix()
    np.testing.assert_allclose(expmap_to_rotation_matrices(vectors), expected, atol=1e-12)


def test_rodrigues_zero_and_tiny_angles():
    np.testing.assert_array_equal(expmap_to_rotation_matrices(np.zeros(3)), np.eye(3))
    tiny = np.array([[1e-9, -2e-9, 3e-10], [0.0, 0.0, 1e-7]])
    expected = Rotation.from_rotvec(tiny).as_matrix()
    np.testing.assert_allclose(expmap_to_rotation_matrices(tiny), expected, atol=1e-15)


def test_rodrigues_keeps_leading_shape_and_is_orthonormal():
    rng = np.random.default_rng(1)
    matrices = expmap_to_rotation_matrices(rng.normal(size=(4, 7, 3)))
    assert matrices.shape == (4, 7, 3, 3)
    identity = np.broadcast_to(np.eye(3), matrices.shape)
    np.testing.assert_allclose(matrices @ np.swapaxes(matrices, -1, -2), identity, atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(matrices), 1.0, atol=1e-12)


def test_rodrigues_refuses_wrong_last_axis():
    with pytest.raises(UsageError, match=r"shape \(\.\.\., 3\)"):
        expmap_to_rotation_matrices(np.zeros((5, 4)))


def test_zero_rotations_give_cumulative_offsets():
    skeleton = cmu38_skeleton()
    frames = np.zeros((3, 117))
    frames[:, 0:3] = [1.0, 2.0, 3.0]
    positions = forward_kinematics(skeleton, frames)
    expected = np.zeros((skeleton.n_joints, 3))
    for joint, parent in enumerate(skeleton.parents):
        base = np.array([1.0, 2.0, 3.0]) if parent < 0 else expected[parent]
        expected[joint] = base + skeleton.offsets[joint]
    for frame in positions:
        np.testing.assert_allclose(frame, expected, atol=1e-12)


def test_two_joint_hand_computed():
    # Root turned +90 degrees about z; the child's own rotation does not move the child.
    frames = np.zeros((1, 9))
    frames[0, :3] = [10.0, 0.0, 0.0]
    frames[0, 5] = np.pi / 2
    frames[0, 6:9] = [0.3, -0.2, 0.1]
    positions = forward_kinematics(two_joint_skeleton(), frames)
    # Row vectors: [1, 0, 0] @ Rz(90) = [cos, -sin, 0] = [0, -1, 0].
    np.testing.assert_allclose(positions[0], [[10.0, 0.0, 0.0], [10.0, -1.0, 0.0]], atol=1e-12)


def test_three_joint_rotations_compose():
    skeleton = Skeleton(
        ("a", "b", "c"),
        parents=np.array([-1, 0, 1]),
        offsets=np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]),
        expmap_columns=np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]]),
    )
    frames = np.zeros((1, 9))
    frames[0, 2] = np.pi / 2  # root about z
    frames[0, 5] = np.pi / 2  # joint b about z again: c's bone is turned by 180 degrees
    positions = forward_kinematics(skeleton, frames)
    np.testing.assert_allclose(positions[0], [[0, 0, 0], [0, -1, 0], [-1, -1, 0]], atol=1e-12)


def test_offset_scale_scales_everything():
    frames = np.zeros((1, 9))
    frames[0, :3] = [1.0, 2.0, 3.0]
    skeleton = Skeleton(
        ("root", "tip"),
        parents=[-1, 0],
        offsets=[[0, 0, 0], [1, 0, 0]],
        expmap_columns=[[3, 4, 5], [6, 7, 8]],
        root_position_columns=[0, 1, 2],
        offset_scale=70,
    )
    raw = forward_kinematics(skeleton, frames)
    scaled = forward_kinematics(skeleton, frames, use_offset_scale=True)
    np.testing.assert_allclose(scaled, 70 * raw)


def test_cmu38_skeleton_facts():
    skeleton = cmu38_skeleton()
    assert skeleton.n_joints == 38
    assert skeleton.joint_names[0] == "joint_00" and skeleton.joint_names[-1] == "joint_37"
    assert skeleton.parents[0] == -1
    assert np.all(skeleton.parents[1:] < np.arange(1, 38))
    np.testing.assert_array_equal(skeleton.expmap_columns, 3 + np.arange(114).reshape(38, 3))
    np.testing.assert_array_equal(skeleton.root_position_columns, [0, 1, 2])
    np.testing.assert_allclose(skeleton.offsets[3], [2.5972, -7.13576, 0.0])
    assert skeleton.offset_scale == 70.0
    assert not skeleton.offsets.flags.writeable
    assert cmu38_skeleton() is skeleton  # cached: read once


@pytest.mark.skipif(not WALKING_1.is_file(), reason="needs ../shared/cmu")
def test_real_frame_keeps_bone_lengths():
    skeleton = cmu38_skeleton()
    frames = np.loadtxt(WALKING_1, delimiter=",", max_rows=5)
    positions = forward_kinematics(skeleton, frames)
    children = np.arange(1, skeleton.n_joints)
    bones = positions[:, children] - positions[:, skeleton.parents[children]]
    lengths = np.linalg.norm(bones, axis=-1)
    expected = np.broadcast_to(skeleton.bone_lengths()[children], lengths.shape)
    np.testing.assert_allclose(lengths, expected, atol=1e-9)
    np.testing.assert_allclose(positions[:, 0], frames[:, 0:3])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(parents=[-1, 1], offsets=np.zeros((2, 3))), "come after their parents"),
        (dict(parents=[-1], offsets=np.zeros((2, 3))), "one parent per joint"),
        (dict(parents=[-1, 0], offsets=np.zeros((2, 2))), "offsets have shape"),
        (dict(parents=[-1, 0], offsets=np.zeros((2, 3)), offset_scale=0), "offset_scale"),
        (
            dict(parents=[-1, 0], offsets=np.zeros((2, 3)), expmap_columns=[[0, 1, 2]]),
            "expmap_columns",
        ),
    ],
)
def test_bad_skeletons_are_refused(kwargs, message):
    with pytest.raises(UsageError, match=message):
        Skeleton(("a", "b"), **kwargs)


def test_bad_frames_are_refused():
    skeleton = cmu38_skeleton()
    with pytest.raises(UsageError, match="at least 117 channels"):
        forward_kinematics(skeleton, np.zeros((3, 62)))
    with pytest.raises(UsageError, match="frames first"):
        forward_kinematics(skeleton, np.zeros(117))
    frames = np.zeros((2, 117))
    frames[1, 7] = np.nan
    with pytest.raises(BadDataError, match="NaN"):
        forward_kinematics(skeleton, frames)
    no_rotations = Skeleton(("a",), parents=[-1], offsets=[[0, 0, 0]])
    with pytest.raises(UsageError, match="no exponential-map columns"):
        forward_kinematics(no_rotations, np.zeros((2, 3)))
