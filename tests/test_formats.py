"""Readers of BVH, ASF/AMC and Human3.6M files, on tiny files written by the tests.

Positions come back through the toolkit's own forward kinematics, and are
checked against numbers worked out by hand and against an independent
column-vector forward kinematics written here with scipy.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mocap_seq2seq.data.formats.asf_amc import read_amc, read_asf, read_asf_amc
from mocap_seq2seq.data.formats.bvh import read_bvh
from mocap_seq2seq.data.formats.h36m import (
    H36M_FRAME_RATE,
    h36m_skeleton,
    read_h36m,
    read_h36m_text,
    scan_h36m_folder,
)
from mocap_seq2seq.data.formats.motion import ParsedMotion
from mocap_seq2seq.errors import BadDataError, DataFileError, UsageError
from mocap_seq2seq.motion.skeleton import forward_kinematics


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based number of the line holding ``needle`` (its n-th occurrence)."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return found[occurrence - 1]


def positions(motion: ParsedMotion) -> np.ndarray:
    return forward_kinematics(motion.skeleton, motion.frames)


def check_layout(motion: ParsedMotion) -> None:
    n_joints = motion.skeleton.n_joints
    assert motion.frames.dtype == np.float32
    assert motion.frames.shape == (motion.n_frames, 3 + 3 * n_joints)
    assert motion.skeleton.root_position_columns.tolist() == [0, 1, 2]
    assert motion.skeleton.expmap_columns.tolist() == [
        [3 + 3 * j, 4 + 3 * j, 5 + 3 * j] for j in range(n_joints)
    ]
    assert np.all(motion.skeleton.parents < np.arange(n_joints))
    np.testing.assert_array_equal(motion.skeleton.offsets[0], 0.0)


# ---------------------------------------------------------------- BVH

CHAIN_BVH = """HIERARCHY
ROOT hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT knee
  {
    OFFSET 0 -2 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT ankle
    {
      OFFSET 0 -1 0
      CHANNELS 3 Xrotation Yrotation Zrotation
      End Site
      {
        OFFSET 0 0 1
      }
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.0083333
0 0 0 0 0 0 0 0 0 0 0 0
1 2 3 90 0 0 0 90 0 0 0 90
"""


def test_bvh_chain_positions_worked_out_by_hand(tmp_path: Path) -> None:
    motion = read_bvh(write(tmp_path, "chain.bvh", CHAIN_BVH))
    check_layout(motion)
    assert motion.skeleton.joint_names == ("hips", "knee", "ankle", "ankle_end")
    assert motion.skeleton.parents.tolist() == [-1, 0, 1, 2]
    assert motion.frame_rate == pytest.approx(120.0, rel=1e-4)
    assert motion.source_file.endswith("chain.bvh")
    # Frame 2: the root moves to (1, 2, 3) and turns 90 degrees about z, which
    # sends the knee's (0, -2, 0) to (2, 0, 0). The knee turns 90 about x:
    # (0, -1, 0) -> (0, 0, -1), unchanged by the root's z turn. The ankle turns
    # 90 about z: the toe's (0, 0, 1) stays, the knee's x turn makes it
    # (0, -1, 0), and the root's z turn (1, 0, 0).
    expected = [
        [[0, 0, 0], [0, -2, 0], [0, -3, 0], [0, -3, 1]],
        [[1, 2, 3], [3, 2, 3], [3, 2, 2], [4, 2, 2]],
    ]
    np.testing.assert_allclose(positions(motion), expected, atol=1e-5)
    np.testing.assert_array_equal(motion.frames[:, 12:15], 0.0)  # the end site does not turn


def test_bvh_root_offset_adds_to_position_channels_in_any_order(tmp_path: Path) -> None:
    text = CHAIN_BVH.replace(
        "CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation",
        "CHANNELS 6 Zrotation Xrotation Yrotation Zposition Xposition Yposition",
    ).replace("OFFSET 0 0 0\n  CHANNELS", "OFFSET 10 20 30\n  CHANNELS", 1)
    lines = text.splitlines()
    lines[-1] = "90 0 0 3 1 2 0 90 0 0 0 90"  # the same frame 2, channels reordered
    motion = read_bvh(write(tmp_path, "reordered.bvh", "\n".join(lines) + "\n"))
    np.testing.assert_allclose(motion.frames[:, :3], [[10, 20, 30], [11, 22, 33]])
    np.testing.assert_allclose(
        positions(motion)[1],
        np.array([[1, 2, 3], [3, 2, 3], [3, 2, 2], [4, 2, 2]]) + [10, 20, 30],
        atol=1e-5,
    )


def test_bvh_root_without_position_channels_sits_at_its_offset(tmp_path: Path) -> None:
    text = CHAIN_BVH.replace(
        "CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation",
        "CHANNELS 3 Zrotation Xrotation Yrotation",
    ).replace("OFFSET 0 0 0\n  CHANNELS", "OFFSET 5 0 0\n  CHANNELS", 1)
    lines = text.splitlines()
    lines[-2:] = ["0 0 0 0 0 0 0 0 0", "90 0 0 0 90 0 0 0 90"]
    motion = read_bvh(write(tmp_path, "fixed_root.bvh", "\n".join(lines) + "\n"))
    np.testing.assert_allclose(motion.frames[:, :3], [[5, 0, 0], [5, 0, 0]])
    np.testing.assert_allclose(positions(motion)[1, 1], [7, 0, 0], atol=1e-5)


def test_bvh_tolerates_tabs_trailing_spaces_and_blank_lines(tmp_path: Path) -> None:
    lines = CHAIN_BVH.splitlines()
    lines[-1] = "1\t2\t3\t90\t0\t0  \t0 90 0\t0\t0\t90   "
    text = "\n".join(lines) + "\n\n   \n"
    motion = read_bvh(write(tmp_path, "tabs.bvh", text))
    np.testing.assert_allclose(positions(motion)[1, 3], [4, 2, 2], atol=1e-5)


def bvh_tree_text(root_channels: list[str]) -> str:
    """A branching hierarchy with the three channel orders and a two-channel joint."""
    return f"""HIERARCHY
ROOT pelvis
{{
\tOFFSET 0.5 1.0 -0.25
\tCHANNELS 6 {" ".join(root_channels)}
\tJOINT spine
\t{{
\t\tOFFSET 0 1.5 0.1
\t\tCHANNELS 3 Zrotation Xrotation Yrotation
\t\tJOINT neck
\t\t{{
\t\t\tOFFSET 0.2 1.0 0
\t\t\tCHANNELS 3 Yrotation Zrotation Xrotation
\t\t\tEnd Site
\t\t\t{{
\t\t\t\tOFFSET 0 0.6 0
\t\t\t}}
\t\t}}
\t\tJOINT arm
\t\t{{
\t\t\tOFFSET 0.8 0.9 0
\t\t\tCHANNELS 2 Yrotation Xrotation
\t\t\tEnd Site
\t\t\t{{
\t\t\t\tOFFSET 1.2 0 0.3
\t\t\t}}
\t\t}}
\t}}
\tJOINT leg
\t{{
\t\tOFFSET -0.4 -0.2 0
\t\tCHANNELS 3 Xrotation Yrotation Zrotation
\t\tEnd Site
\t\t{{
\t\t\tOFFSET 0 -2.0 0.1
\t\t}}
\t}}
}}
MOTION
"""


# joint name, parent, offset, channel names of the tree above (end sites have none)
TREE = [
    ("pelvis", -1, [0.5, 1.0, -0.25], None),
    ("spine", 0, [0, 1.5, 0.1], ["Zrotation", "Xrotation", "Yrotation"]),
    ("neck", 1, [0.2, 1.0, 0], ["Yrotation", "Zrotation", "Xrotation"]),
    ("neck_end", 2, [0, 0.6, 0], []),
    ("arm", 1, [0.8, 0.9, 0], ["Yrotation", "Xrotation"]),
    ("arm_end", 4, [1.2, 0, 0.3], []),
    ("leg", 0, [-0.4, -0.2, 0], ["Xrotation", "Yrotation", "Zrotation"]),
    ("leg_end", 6, [0, -2.0, 0.1], []),
]


@pytest.mark.parametrize(
    "root_channels",
    [
        ["Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation"],
        ["Yrotation", "Xrotation", "Zrotation", "Zposition", "Yposition", "Xposition"],
        ["Xrotation", "Xposition", "Yrotation", "Yposition", "Zrotation", "Zposition"],
    ],
)
def test_bvh_matches_an_independent_column_vector_forward_kinematics(
    tmp_path: Path, root_channels: list[str]
) -> None:
    rng = np.random.default_rng(11)
    n_frames = 7
    channels = [(0, name) for name in root_channels]
    for joint, (_, _, _, names) in enumerate(TREE[1:], start=1):
        channels.extend((joint, name) for name in names or [])
    values = rng.uniform(-180.0, 180.0, (n_frames, len(channels)))
    for column, (_, name) in enumerate(channels):
        if name.endswith("position"):
            values[:, column] = rng.uniform(-5.0, 5.0, n_frames)
    text = bvh_tree_text(root_channels)
    text += f"Frames: {n_frames}\nFrame Time: 0.04\n"
    text += "".join(" ".join(f"{v:.6f}" for v in row) + "\n" for row in values)
    motion = read_bvh(write(tmp_path, "tree.bvh", text))
    check_layout(motion)
    assert motion.skeleton.joint_names == tuple(name for name, _, _, _ in TREE)
    assert motion.frame_rate == pytest.approx(25.0)

    # Column vectors: W_j = W_parent @ L_j, p_j = p_parent + W_parent @ offset_j, where L_j
    # turns about the listed axes in the listed order (scipy: upper case = intrinsic).
    expected = np.zeros((n_frames, len(TREE), 3))
    for frame in range(n_frames):
        world: list[np.ndarray] = []
        for joint, (_, parent, offset, _) in enumerate(TREE):
            mine = [(name, values[frame, c]) for c, (j, name) in enumerate(channels) if j == joint]
            turns = [(name[0], value) for name, value in mine if name.endswith("rotation")]
            if turns:
                order = "".join(axis for axis, _ in turns)
                local = Rotation.from_euler(
                    order, [value for _, value in turns], degrees=True
                ).as_matrix()
            else:
                local = np.eye(3)
            if parent < 0:
                moved = {name[0]: value for name, value in mine if name.endswith("position")}
                expected[frame, joint] = np.array(offset) + [moved[a] for a in "XYZ"]
                world.append(local)
            else:
                expected[frame, joint] = expected[frame, parent] + world[parent] @ offset
                world.append(world[parent] @ local)
    np.testing.assert_allclose(positions(motion), expected, atol=1e-4)


def test_bvh_constant_position_channels_below_the_root_replace_the_offset(tmp_path: Path) -> None:
    text = CHAIN_BVH.replace(
        "CHANNELS 3 Zrotation Xrotation Yrotation",
        "CHANNELS 4 Yposition Zrotation Xrotation Yrotation",
    )
    lines = text.splitlines()
    lines[-2:] = ["0 0 0 0 0 0 -4 0 0 0 0 0 0", "1 2 3 90 0 0 -4 0 90 0 0 0 90"]
    motion = read_bvh(write(tmp_path, "stretched.bvh", "\n".join(lines) + "\n"))
    np.testing.assert_allclose(motion.skeleton.offsets[1], [0, -4, 0])
    np.testing.assert_allclose(positions(motion)[1, 1], [1 + 4, 2, 3], atol=1e-5)


def test_bvh_joint_without_rotation_channels_does_not_turn(tmp_path: Path) -> None:
    text = CHAIN_BVH.replace("CHANNELS 3 Zrotation Xrotation Yrotation", "CHANNELS 0")
    lines = text.splitlines()
    lines[-2:] = ["0 0 0 0 0 0 0 0 0", "1 2 3 90 0 0 0 0 90"]
    motion = read_bvh(write(tmp_path, "stiff.bvh", "\n".join(lines) + "\n"))
    np.testing.assert_array_equal(motion.frames[:, 6:9], 0.0)
    # Root z turn only: knee (3, 2, 3), ankle one further along -y turned to +x.
    np.testing.assert_allclose(positions(motion)[1, 2], [4, 2, 3], atol=1e-5)


def replace_line(text: str, needle: str, new: str, occurrence: int = 1) -> tuple[str, int]:
    """``text`` with the line holding ``needle`` replaced, and that line's number."""
    number = line_of(text, needle, occurrence)
    lines = text.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n", number


def bad_bvh_cases() -> list[tuple[str, str, int, str]]:
    cases = []
    text, number = replace_line(CHAIN_BVH, "OFFSET 0 -2 0", "    OFFSETT 0 -2 0")
    cases.append(("unknown keyword", text, number, "unknown keyword 'OFFSETT'"))
    text, _ = replace_line(CHAIN_BVH, "{", "", occurrence=2)
    number = line_of(text, "OFFSET 0 -2 0")  # found where the brace should be
    cases.append(("missing opening brace", text, number, "where '{' should open JOINT knee"))
    lines = CHAIN_BVH.splitlines()
    del lines[line_of(CHAIN_BVH, "}", occurrence=4) - 1]  # the one that closes the root
    text = "\n".join(lines) + "\n"
    cases.append(("missing closing brace", text, line_of(text, "MOTION"), "never closed"))
    text, number = replace_line(CHAIN_BVH, "1 2 3 90", "1 2 3 90 0 0 0 90 0 0 0")
    cases.append(("short motion line", text, number, "11 values, expected 12"))
    text, number = replace_line(CHAIN_BVH, "Frames:", "Frames: 3")
    cases.append(("fewer frame lines than Frames", text, number, "holds 2 frame lines"))
    text = CHAIN_BVH + "0 0 0 0 0 0 0 0 0 0 0 0\n"
    cases.append(("more frame lines than Frames", text, len(text.splitlines()), "more frame"))
    text, number = replace_line(CHAIN_BVH, "1 2 3 90", "1 2 3 90 0 abc 0 90 0 0 0 90")
    cases.append(("non-numeric value", text, number, "'abc', is not a number"))
    text, number = replace_line(CHAIN_BVH, "1 2 3 90", "1 2 3 90 0 nan 0 90 0 0 0 90")
    cases.append(("NaN value", text, number, "'nan'"))
    text, number = replace_line(CHAIN_BVH, "Frame Time", "Frame Time: 0")
    cases.append(("zero frame time", text, number, "Frame Time is 0"))
    text, number = replace_line(CHAIN_BVH, "Frame Time", "Frame Time: -0.01")
    cases.append(("negative frame time", text, number, "Frame Time is -0.01"))
    text = "HIERARCHY\nMOTION\nFrames: 1\nFrame Time: 0.1\n\n"
    cases.append(("no joints", text, 2, "no ROOT"))
    text, number = replace_line(
        CHAIN_BVH, "CHANNELS 3 Zrotation", "    CHANNELS 3 Zrotation Wrotation Yrotation"
    )
    cases.append(("unknown channel name", text, number, "unknown channel name 'Wrotation'"))
    text, number = replace_line(
        CHAIN_BVH, "CHANNELS 3 Zrotation", "    CHANNELS 3 Zrotation Xrotation"
    )
    cases.append(("channel count", text, number, "CHANNELS lists 2 names but says 3"))
    text, number = replace_line(
        CHAIN_BVH, "CHANNELS 3 Zrotation", "    CHANNELS 3 Zrotation Xrotation Zrotation"
    )
    cases.append(("repeated channel", text, number, "lists a channel twice"))
    text = CHAIN_BVH.replace(
        "CHANNELS 3 Zrotation Xrotation Yrotation",
        "CHANNELS 4 Yposition Zrotation Xrotation Yrotation",
    )
    lines = text.splitlines()
    lines[-2:] = ["0 0 0 0 0 0 -4 0 0 0 0 0 0", "1 2 3 90 0 0 -3 0 90 0 0 0 90"]
    text = "\n".join(lines) + "\n"
    cases.append(("moving joint", text, line_of(text, "CHANNELS 4"), "changes over the frames"))
    text, number = replace_line(CHAIN_BVH, "OFFSET 0 0 1", "        CHANNELS 1 Xrotation")
    cases.append(("channels in an end site", text, number, "End Site"))
    text = CHAIN_BVH.replace("HIERARCHY", "HIERARCHY\nROOT\n{\n}", 1)
    cases.append(("root without a name", text, 2, "has no name"))
    text = CHAIN_BVH.replace("MOTION", "ROOT other\n{\n  OFFSET 0 0 0\n}\nMOTION")
    cases.append(("second root", text, line_of(text, "ROOT other"), "second ROOT"))
    text = CHAIN_BVH.split("MOTION")[0]
    cases.append(("no motion", text, len(text.splitlines()), "no MOTION"))
    text, number = replace_line(CHAIN_BVH, "Frames:", "Frames: many")
    cases.append(("bad frame count", text, number, "positive whole number"))
    return [pytest.param(t, n, m, id=name) for name, t, n, m in cases]


@pytest.mark.parametrize(("text", "line", "message"), bad_bvh_cases())
def test_malformed_bvh_names_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(BadDataError) as caught:
        read_bvh(write(tmp_path, "walk.bvh", text))
    assert f"walk.bvh line {line}:" in str(caught.value)
    assert message in str(caught.value)


def long_chain_bvh(n_frames: int, *, stretch: bool = False) -> tuple[str, np.ndarray]:
    """CHAIN_BVH with ``n_frames`` random frames (blank lines among them) and its values.

    With ``stretch`` the knee carries a constant Yposition channel (its bone length).
    """
    rng = np.random.default_rng(5)
    values = rng.uniform(-180.0, 180.0, (n_frames, 13 if stretch else 12))
    values[:, :3] = rng.uniform(-5.0, 5.0, (n_frames, 3))
    text = CHAIN_BVH.split("Frames:")[0]
    if stretch:
        values[:, 6] = -4.0
        text = text.replace(
            "CHANNELS 3 Zrotation Xrotation Yrotation",
            "CHANNELS 4 Yposition Zrotation Xrotation Yrotation",
        )
    rows = [" ".join(f"{v:.6f}" for v in row) for row in values]
    rows[3:3] = ["", "   "]  # blank lines count for the line numbers, not as frames
    text += f"Frames: {n_frames}\nFrame Time: 0.01\n" + "\n".join(rows) + "\n"
    return text, values


@pytest.mark.parametrize("chunk_frames", [1, 2, 7, 8192])
def test_bvh_read_in_chunks_equals_the_file_read_whole(tmp_path: Path, chunk_frames: int) -> None:
    text, _ = long_chain_bvh(23, stretch=True)
    path = write(tmp_path, "long.bvh", text)
    whole = read_bvh(path, chunk_frames=10**6)
    chunked = read_bvh(path, chunk_frames=chunk_frames)
    # Every frame comes from its own line only: bit-for-bit the same.
    np.testing.assert_array_equal(chunked.frames, whole.frames)
    np.testing.assert_array_equal(chunked.skeleton.offsets, whole.skeleton.offsets)
    np.testing.assert_array_equal(whole.skeleton.offsets[1], [0, -4, 0])
    assert chunked.n_frames == 23 and chunked.frame_rate == whole.frame_rate


def test_bvh_read_in_chunks_matches_values_parsed_one_by_one(tmp_path: Path) -> None:
    text, values = long_chain_bvh(20)
    motion = read_bvh(write(tmp_path, "long.bvh", text), chunk_frames=3)
    # The root position columns are the file's numbers, rounded to float32.
    parsed = np.array(
        [[float(v) for v in f"{row[0]:.6f} {row[1]:.6f} {row[2]:.6f}".split()] for row in values]
    )
    np.testing.assert_array_equal(motion.frames[:, :3], parsed.astype(np.float32))


@pytest.mark.parametrize(
    ("frame", "bad", "message"),
    [(17, "abc", "'abc', is not a number"), (11, "inf", "'inf'"), (19, None, "11 values")],
)
def test_bvh_bad_value_in_a_later_chunk_names_its_line(
    tmp_path: Path, frame: int, bad: str | None, message: str
) -> None:
    text, _ = long_chain_bvh(20)
    lines = text.splitlines()
    first_frame_line = line_of(text, "Frame Time") + 1
    # Frames 0-2 come before the two blank lines; later frames sit two lines further.
    number = first_frame_line + frame + (2 if frame >= 3 else 0)
    tokens = lines[number - 1].split()
    if bad is None:
        del tokens[4]
    else:
        tokens[4] = bad
    lines[number - 1] = " ".join(tokens)
    path = write(tmp_path, "walk.bvh", "\n".join(lines) + "\n")
    for chunk_frames in (4, 8192):
        with pytest.raises(BadDataError) as caught:
            read_bvh(path, chunk_frames=chunk_frames)
        assert f"walk.bvh line {number}:" in str(caught.value)
        assert message in str(caught.value)


def test_bvh_moving_joint_in_a_later_chunk_is_refused(tmp_path: Path) -> None:
    text, _ = long_chain_bvh(20, stretch=True)
    lines = text.splitlines()
    last = lines[-1].split()
    last[6] = "-4.5"  # the knee's bone length changes on the last frame only
    lines[-1] = " ".join(last)
    with pytest.raises(
        BadDataError,
        match=r"line 9: joint knee has a Yposition channel that "
        r"changes over the frames \(by 0\.5\)",
    ):
        read_bvh(write(tmp_path, "moving.bvh", "\n".join(lines) + "\n"), chunk_frames=4)


@pytest.mark.parametrize("chunk_frames", [0, -1, 2.5, True])
def test_bvh_chunk_frames_must_be_a_positive_int(tmp_path: Path, chunk_frames: object) -> None:
    with pytest.raises(UsageError, match="chunk_frames of read_bvh"):
        read_bvh(write(tmp_path, "chain.bvh", CHAIN_BVH), chunk_frames=chunk_frames)  # type: ignore[arg-type]


def test_missing_bvh_file_is_a_data_file_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="Cannot read"):
        read_bvh(tmp_path / "absent.bvh")


# ---------------------------------------------------------------- ASF / AMC

TINY_ASF = """# a test skeleton
:version 1.10
:name tiny
:units
  mass 1.0
  length 0.45
  angle deg
:documentation
  Three bones: upper (3 dofs), lower (axis turned 90 about z), side (rz only).
:root
  order TX TY TZ RX RY RZ
  axis XYZ
  position 0 0 0
  orientation 0 0 0
:bonedata
  begin
    id 1
    name upper
    direction 0 1 0
    length 2
    axis 0 0 0 XYZ
    dof rx ry rz
    limits (-180.0 180.0)
           (-180.0 180.0)
           (-180.0 180.0)
  end
  begin
    id 2
    name lower
    direction 1 0 0
    length 1
    axis 0 0 90 XYZ
    dof rx
    limits (-90 90)
  end
  begin
    id 3
    name side
    direction 2 0 0
    length 1
    axis 0 0 0 XYZ
    dof rz
  end
:hierarchy
  begin
    root upper side
    upper lower
  end
"""

TINY_AMC = """# written by the test
:FULLY-SPECIFIED
:DEGREES
1
root 0 0 0 0 0 0
upper 0 0 0
lower 90
side 90
2
root 1 2 3 0 0 90
upper 90 0 0
lower 0
side 0
"""


def test_asf_amc_bone_ends_worked_out_by_hand(tmp_path: Path) -> None:
    asf = write(tmp_path, "tiny.asf", TINY_ASF)
    motion = read_asf_amc(asf, write(tmp_path, "tiny.amc", TINY_AMC), frame_rate=120.0)
    check_layout(motion)
    names = ("root", "upper", "lower", "lower_end", "side", "side_end")
    assert motion.skeleton.joint_names == names
    assert motion.skeleton.parents.tolist() == [-1, 0, 1, 2, 0, 4]
    # Joints sit at bone starts; the offsets are the parent bone's rest vector
    # (the direction of 'side' is normalised: 2 0 0 is the unit x axis).
    np.testing.assert_allclose(
        motion.skeleton.offsets, [[0, 0, 0], [0, 0, 0], [0, 2, 0], [1, 0, 0], [0, 0, 0], [1, 0, 0]]
    )
    assert motion.frame_rate == 120.0
    # Frame 1: lower's frame is turned 90 about z, so its rx of 90 turns about
    # the world y axis, sending its vector (1, 0, 0) to (0, 0, -1); side's rz of
    # 90 sends (1, 0, 0) to (0, 1, 0).
    # Frame 2: the root moves to (1, 2, 3) and turns 90 about z; upper's rx of
    # 90 sends (0, 2, 0) to (0, 0, 2), which the root turn keeps: upper ends at
    # (1, 2, 5). lower (rx 0) follows upper: (1, 0, 0) stays under rx, then the
    # root turn makes it (0, 1, 0). side (rz 0) turns with the root only.
    expected = [
        [[0, 0, 0], [0, 0, 0], [0, 2, 0], [0, 2, -1], [0, 0, 0], [0, 1, 0]],
        [[1, 2, 3], [1, 2, 3], [1, 2, 5], [1, 3, 5], [1, 2, 3], [1, 3, 3]],
    ]
    np.testing.assert_allclose(positions(motion), expected, atol=1e-5)
    np.testing.assert_array_equal(motion.frames[:, 12:15], 0.0)  # lower_end does not turn


def test_asf_fields(tmp_path: Path) -> None:
    skeleton = read_asf(write(tmp_path, "tiny.asf", TINY_ASF))
    assert skeleton.name == "tiny"
    assert skeleton.length_unit == 0.45
    assert skeleton.angles_in_degrees
    assert skeleton.root_order == ("TX", "TY", "TZ", "RX", "RY", "RZ")
    assert [bone.name for bone in skeleton.bones] == ["upper", "lower", "side"]
    assert [bone.parent for bone in skeleton.bones] == [-1, 0, -1]
    assert skeleton.bones[0].limits == ((-180.0, 180.0),) * 3
    assert skeleton.bones[2].dofs == ("rz",)
    np.testing.assert_allclose(skeleton.bones[1].axis, [0, 0, np.pi / 2])
    assert skeleton.bone_index("side") == 2 and skeleton.bone_index("nose") is None


def test_asf_amc_frame_rate_defaults_to_unknown(tmp_path: Path) -> None:
    asf = read_asf(write(tmp_path, "tiny.asf", TINY_ASF))
    assert read_amc(write(tmp_path, "tiny.amc", TINY_AMC), asf).frame_rate is None
    with pytest.raises(UsageError, match="frame_rate"):
        read_amc(tmp_path / "tiny.amc", asf, frame_rate=0.0)


def test_asf_amc_in_radians_gives_the_same_motion(tmp_path: Path) -> None:
    degrees = read_asf_amc(
        write(tmp_path, "tiny.asf", TINY_ASF), write(tmp_path, "tiny.amc", TINY_AMC)
    )
    asf = TINY_ASF.replace("angle deg", "angle rad").replace(
        "axis 0 0 90 XYZ", f"axis 0 0 {np.pi / 2!r} XYZ"
    )
    amc = re.sub(r"\b90\b", repr(np.pi / 2), TINY_AMC.replace(":DEGREES\n", ""))
    radians = read_asf_amc(write(tmp_path, "rad.asf", asf), write(tmp_path, "rad.amc", amc))
    np.testing.assert_allclose(positions(radians), positions(degrees), atol=1e-5)


RANDOM_ASF = """:units
  angle deg
:root
  order RZ TX RX TY RY TZ
  axis ZYX
  position 0.5 -1 2
  orientation 10 -20 30
:bonedata
  begin
    name a
    direction 0.6 0.8 0
    length 2.5
    axis 15 -40 70 XYZ
    dof rx ry rz
  end
  begin
    name b
    direction 0 0 1
    length 1.5
    axis -25 35 5 YZX
    dof rz rx
  end
  begin
    name c
    direction 0 -1 0
    length 3
    axis 50 10 -60 XYZ
    dof ry
  end
  begin
    name d
    direction 1 0 0
    length 0.5
    axis 0 0 0 XYZ
  end
:hierarchy
  begin
    root a c
    a b d
  end
"""


def test_asf_amc_matches_an_independent_acclaim_forward_kinematics(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    n_frames = 5
    dofs = {"root": ["rz", "tx", "rx", "ty", "ry", "tz"], "a": ["rx", "ry", "rz"]}
    dofs.update({"b": ["rz", "rx"], "c": ["ry"]})
    values = {name: rng.uniform(-170, 170, (n_frames, len(d))) for name, d in dofs.items()}
    lines = [":FULLY-SPECIFIED", ":DEGREES"]
    for frame in range(n_frames):
        lines.append(str(frame + 1))
        for name in dofs:
            lines.append(name + " " + " ".join(f"{v:.6f}" for v in values[name][frame]))
    motion = read_asf_amc(
        write(tmp_path, "random.asf", RANDOM_ASF), write(tmp_path, "random.amc", "\n".join(lines))
    )
    check_layout(motion)
    assert motion.skeleton.joint_names == ("root", "a", "b", "b_end", "d", "d_end", "c", "c_end")

    # Acclaim, column vectors: L = C M C^T with C from the axis line and M from the dof
    # values, both about fixed axes (scipy: lower case = extrinsic); W = W_parent @ L.
    def turn(order: str, angles: np.ndarray) -> np.ndarray:
        return Rotation.from_euler(order, angles, degrees=True).as_matrix()

    bones = {  # name: parent, vector, axis angles, axis order
        "a": ("root", 2.5 * np.array([0.6, 0.8, 0]), [15, -40, 70], "xyz"),
        "b": ("a", 1.5 * np.array([0, 0, 1.0]), [-25, 35, 5], "yzx"),
        "d": ("a", 0.5 * np.array([1.0, 0, 0]), [0, 0, 0], "xyz"),
        "c": ("root", 3.0 * np.array([0, -1.0, 0]), [50, 10, -60], "xyz"),
    }
    found = positions(motion)
    for frame in range(n_frames):
        root = dict(zip(dofs["root"], values["root"][frame]))
        start = {"root": np.array([0.5, -1, 2]) + [root["tx"], root["ty"], root["tz"]]}
        frame_c = turn("zyx", [10, -20, 30])
        world = {"root": frame_c @ turn("zxy", [root["rz"], root["rx"], root["ry"]]) @ frame_c.T}
        end = {}
        for name, (parent, vector, axis, axis_order) in bones.items():
            begin = start[parent] if parent == "root" else end[parent]
            frame_c = turn(axis_order, axis)
            if name in values:
                motion_m = turn("".join(d[1] for d in dofs[name]), values[name][frame])
            else:
                motion_m = np.eye(3)
            world[name] = world[parent] @ frame_c @ motion_m @ frame_c.T
            start[name], end[name] = begin, begin + world[name] @ vector
        expected = [start["root"], start["a"], start["b"], end["b"]]
        expected += [start["d"], end["d"], start["c"], end["c"]]
        np.testing.assert_allclose(found[frame], expected, atol=1e-4)


def bad_asf_amc_cases() -> list[tuple[str, str, str, str, int, str]]:
    """(case, asf text, amc text, file at fault, line, message)."""
    cases = []
    amc, number = replace_line(TINY_AMC, "side 0", "nose 0")
    cases.append(("unknown AMC bone", TINY_ASF, amc, "amc", number, "unknown bone 'nose'"))
    amc, number = replace_line(TINY_AMC, "upper 90 0 0", "upper 90 0")
    cases.append(("value count", TINY_ASF, amc, "amc", number, "upper has 2 values, expected 3"))
    amc, number = replace_line(TINY_AMC, "upper 90 0 0", "upper 90 zero 0")
    cases.append(("non-numeric AMC", TINY_ASF, amc, "amc", number, "'zero', is not a number"))
    lines = TINY_AMC.splitlines()
    del lines[line_of(TINY_AMC, "root 1 2 3") - 1]
    amc = "\n".join(lines)
    cases.append(("no root line", TINY_ASF, amc, "amc", line_of(amc, "2"), "no line for the root"))
    amc = TINY_AMC + "4\nroot 0 0 0 0 0 0\nupper 0 0 0\nlower 0\nside 0\n"
    cases.append(
        ("frames out of order", TINY_ASF, amc, "amc", line_of(amc, "4"), "frame 4 follows")
    )
    amc = TINY_AMC.replace("2\n", "1\n")
    cases.append(
        ("repeated frame", TINY_ASF, amc, "amc", line_of(amc, "1", 2), "frame 1 follows frame 1")
    )
    amc = TINY_AMC.replace("side 0\n", "")  # the file ends in the middle of frame 2
    cases.append(("truncated", TINY_ASF, amc, "amc", line_of(amc, "2"), "no line for 'side'"))
    amc = TINY_AMC.replace("lower 0\n", "lower 0\nlower 5\n")
    cases.append(("repeated bone", TINY_ASF, amc, "amc", line_of(amc, "lower 5"), "second line"))
    amc = "# nothing\n:DEGREES\nroot 0 0 0 0 0 0\n"
    cases.append(("values before a frame", TINY_ASF, amc, "amc", 3, "before the first frame"))
    asf, number = replace_line(TINY_ASF, "upper lower", "    upper lower elbow")
    cases.append(("unknown hierarchy bone", asf, TINY_AMC, "asf", number, "unknown bone 'elbow'"))
    asf = TINY_ASF.replace(
        "root upper side\n    upper lower", "root side\n    upper lower\n    lower upper"
    )
    cases.append(("cycle", asf, TINY_AMC, "asf", line_of(asf, "lower upper"), "cycle"))
    asf = TINY_ASF.replace("root upper side", "root upper side lower")
    cases.append(
        ("two parents", asf, TINY_AMC, "asf", line_of(asf, "upper lower"), "second parent")
    )
    asf = TINY_ASF.replace("root upper side", "root upper")
    cases.append(("bone not placed", asf, TINY_AMC, "asf", line_of(asf, "id 3") - 1, "not appear"))
    asf, number = replace_line(TINY_ASF, "dof rz", "    dof tx rz")
    cases.append(("translation dof", asf, TINY_AMC, "asf", number, "translation dof 'tx'"))
    asf, number = replace_line(TINY_ASF, "length 2", "    length two")
    cases.append(("non-numeric ASF", asf, TINY_AMC, "asf", number, "'two', is not a number"))
    asf, number = replace_line(TINY_ASF, "direction 1 0 0", "    direction 1 0")
    cases.append(("short direction", asf, TINY_AMC, "asf", number, "direction has 2 numbers"))
    asf, number = replace_line(TINY_ASF, "limits (-90 90)", "    limits (-90 90) (0 1)")
    cases.append(("limit count", asf, TINY_AMC, "asf", number, "2 limits for 1 dofs"))
    asf, number = replace_line(TINY_ASF, "axis 0 0 90 XYZ", "    axis 0 0 90 XYY")
    cases.append(("axis order", asf, TINY_AMC, "asf", number, "axis order 'XYY'"))
    asf, number = replace_line(TINY_ASF, "id 2", "    colour red")
    cases.append(("unknown bone keyword", asf, TINY_AMC, "asf", number, "unknown keyword 'colour'"))
    asf, number = replace_line(TINY_ASF, "angle deg", "  angle grad")
    cases.append(("angle unit", asf, TINY_AMC, "asf", number, "angle unit 'grad'"))
    asf = TINY_ASF.replace("name side", "name upper")
    cases.append(("duplicate bone", asf, TINY_AMC, "asf", line_of(asf, "id 3") - 1, "second bone"))
    asf, number = replace_line(TINY_ASF, "order TX", "  order TX TY TZ RX RY RQ")
    cases.append(("root order", asf, TINY_AMC, "asf", number, "root order"))
    return [pytest.param(*case[1:], id=case[0]) for case in cases]


@pytest.mark.parametrize(("asf", "amc", "culprit", "line", "message"), bad_asf_amc_cases())
def test_malformed_asf_amc_names_the_line(
    tmp_path: Path, asf: str, amc: str, culprit: str, line: int, message: str
) -> None:
    asf_path = write(tmp_path, "walk.asf", asf)
    amc_path = write(tmp_path, "walk.amc", amc)
    with pytest.raises(BadDataError) as caught:
        read_asf_amc(asf_path, amc_path)
    assert f"walk.{culprit} line {line}:" in str(caught.value)
    assert message in str(caught.value)


def test_asf_without_root_order_and_empty_amc_are_refused(tmp_path: Path) -> None:
    asf = TINY_ASF.replace("  order TX TY TZ RX RY RZ\n", "")
    with pytest.raises(BadDataError, match="no ':root' section with an 'order' line"):
        read_asf(write(tmp_path, "no_order.asf", asf))
    skeleton = read_asf(write(tmp_path, "tiny.asf", TINY_ASF))
    with pytest.raises(BadDataError, match="holds no frames"):
        read_amc(write(tmp_path, "empty.amc", "# nothing\n:FULLY-SPECIFIED\n"), skeleton)


# ---------------------------------------------------------------- Human3.6M


def test_h36m_text_reads_99_columns(tmp_path: Path) -> None:
    rng = np.random.default_rng(13)
    frames = rng.normal(size=(4, 99))
    text = "".join(",".join(f"{v:.8f}" for v in row) + "\n" for row in frames) + "\n"
    path = write(tmp_path, "walking_1.txt", text)
    read = read_h36m_text(path)
    assert read.dtype == np.float32 and read.shape == (4, 99)
    np.testing.assert_allclose(read, frames, atol=1e-6)
    motion = read_h36m(path)
    assert motion.frame_rate == H36M_FRAME_RATE == 50.0
    assert positions(motion).shape == (4, 32, 3)


def test_h36m_skeleton_zero_pose() -> None:
    tree = h36m_skeleton()
    assert tree.n_joints == 32 and tree.n_channels == 99
    assert len(set(tree.joint_names)) == 32
    assert np.all(tree.parents < np.arange(32))
    pose = forward_kinematics(tree, np.zeros((1, 99)))[0]
    right_leg = [tree.joint_names.index(n) for n in ("RightUpLeg", "RightLeg", "RightFoot")]
    left_leg = [tree.joint_names.index(n) for n in ("LeftUpLeg", "LeftLeg", "LeftFoot")]
    mirror = np.array([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(pose[right_leg] * mirror, pose[left_leg], atol=1e-2)
    np.testing.assert_allclose(pose[right_leg[0]], [-132.948591, 0, 0])
    hips, head = pose[0], pose[tree.joint_names.index("Head")]
    assert head[1] > hips[1] + 500 > pose[left_leg[-1], 1] + 1000  # y up: head high, feet low


def bad_h36m_cases() -> list[tuple[str, str, int, str]]:
    good = ",".join(["0.5"] * 99)
    return [
        pytest.param(f"{good}\n{good},1.0\n", 2, "100 values, expected 99", id="too many"),
        pytest.param(f"{good}\n\n0,1,2\n", 3, "3 values, expected 99", id="too few"),
        pytest.param(f"{good}\n{good.replace('0.5', 'x', 1)}\n", 2, "'x'", id="not a number"),
        pytest.param(f"{good}\n{good.replace('0.5', 'inf', 1)}\n", 2, "'inf'", id="infinite"),
    ]


@pytest.mark.parametrize(("text", "line", "message"), bad_h36m_cases())
def test_malformed_h36m_text_names_the_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    with pytest.raises(BadDataError) as caught:
        read_h36m_text(write(tmp_path, "eating_1.txt", text))
    assert f"eating_1.txt line {line}:" in str(caught.value)
    assert message in str(caught.value)


def test_h36m_empty_file_and_trailing_comma(tmp_path: Path) -> None:
    with pytest.raises(BadDataError, match="holds no frames"):
        read_h36m_text(write(tmp_path, "empty_1.txt", "\n\n"))
    read = read_h36m_text(write(tmp_path, "comma_1.txt", ",".join(["1"] * 99) + ",\n"))
    assert read.shape == (1, 99)


def test_scan_h36m_folder(tmp_path: Path) -> None:
    for name in (
        "S1/walking_1.txt",
        "S1/walking_2.txt",
        "S11/walkingtogether_2.txt",
        "S5/eating_1.txt",
        "S5/readme.md",
        "S5/notes.txt",
        "extra/walking_1.txt",
    ):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("")
    found = scan_h36m_folder(tmp_path)
    assert [(t.subject, t.action, t.subaction) for t in found] == [
        ("S1", "walking", 1),
        ("S1", "walking", 2),
        ("S5", "eating", 1),
        ("S11", "walkingtogether", 2),
    ]
    assert found[0].path == tmp_path / "S1" / "walking_1.txt"


def test_scan_h36m_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        scan_h36m_folder(tmp_path / "absent")
    (tmp_path / "S1").mkdir()
    with pytest.raises(DataFileError, match="holds no takes"):
        scan_h36m_folder(tmp_path)
