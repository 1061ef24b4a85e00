"""Bring your own capture: converted BVH / Human3.6M files through every command.

The motion files are written here (small, synthetic, two regimes), converted
by the real converter into real HDF5, and the commands run on them through
the real CLI and Keras model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mocap_seq2seq.data.formats.segments_csv import read_segments_csv
from mocap_seq2seq.data.importers import import_motion
from mocap_seq2seq.data.sources import file_source, source_from_description
from mocap_seq2seq.data.store import read_sequence, read_skeleton, takes_catalogue
from mocap_seq2seq.errors import BadDataError, UnknownNameError, UsageError

N_FRAMES = 240
SWITCH = 130  # frame where the motion changes from a slow swing to a fast one


def write_bvh(path: Path, n_frames: int = N_FRAMES, switch: int = SWITCH) -> Path:
    """A 4-joint chain (hips, spine, head, arm) with an end site, ZXY rotations, 6-channel root."""
    time = np.arange(n_frames) / 60.0
    slow = np.where(np.arange(n_frames) < switch, 1.0, 0.0)
    frequency = np.where(slow > 0, 0.7, 2.5)
    phase = 2 * np.pi * np.cumsum(frequency) / 60.0
    rows = []
    for t in range(n_frames):
        root = [0.5 * time[t], 90.0 + 2 * np.sin(phase[t]), 0.0]
        hips = [5 * np.sin(phase[t]), 0.0, 10 * np.cos(phase[t])]
        spine = [20 * np.sin(phase[t]), 5.0, 0.0]
        head = [0.0, 10 * np.sin(2 * phase[t]), 0.0]
        arm = [40 * np.sin(phase[t] + 1) * (1 + slow[t]), 0.0, 15.0]
        rows.append(" ".join(f"{v:.5f}" for v in root + hips + spine + head + arm))
    text = (
        f"""HIERARCHY
ROOT Hips
{{
  OFFSET 0.0 0.0 0.0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Spine
  {{
    OFFSET 0.0 10.0 0.0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT Head
    {{
      OFFSET 0.0 15.0 0.0
      CHANNELS 3 Zrotation Xrotation Yrotation
      End Site
      {{
        OFFSET 0.0 5.0 0.0
      }}
    }}
    JOINT Arm
    {{
      OFFSET 8.0 12.0 0.0
      CHANNELS 3 Zrotation Xrotation Yrotation
      End Site
      {{
        OFFSET 12.0 0.0 0.0
      }}
    }}
  }}
}}
MOTION
Frames: {n_frames}
Frame Time: {1 / 60:.6f}
"""
        + "\n".join(rows)
        + "\n"
    )
    path.write_text(text)
    return path


def write_labels(path: Path, n_frames: int = N_FRAMES, switch: int = SWITCH) -> Path:
    path.write_text(f"start,end,label\n0,{switch},sway\n{switch},{n_frames},wave\n")
    return path


def write_h36m(root: Path) -> Path:
    """Two subjects, three actions, two subactions each: 99 smooth channels at 50 fps."""
    for subject in ("S1", "S5"):
        folder = root / subject
        folder.mkdir(parents=True)
        for index, action in enumerate(("walking", "eating", "smoking")):
            for sub in (1, 2):
                rng = np.random.default_rng([index, sub, int(subject[1:])])
                time = np.arange(120 + 10 * sub)[:, None] / 50.0
                phases = rng.uniform(0, 2 * np.pi, 99)
                frames = 0.3 * np.sin(2 * np.pi * (0.5 + index) * time + phases)
                np.savetxt(folder / f"{action}_{sub}.txt", frames, delimiter=",", fmt="%.6f")
    return root


def write_asf_amc(folder: Path, n_frames: int = 200, switch: int = 110) -> tuple[Path, Path]:
    """A root with a spine (3 dofs) and an arm (rz only), and an AMC with two regimes."""
    asf = folder / "two.asf"
    asf.write_text(
        ":version 1.10\n:name two\n:units\n  angle deg\n:root\n  order TX TY TZ RX RY RZ\n"
        "  axis XYZ\n  position 0 0 0\n  orientation 0 0 0\n:bonedata\n"
        "  begin\n    id 1\n    name spine\n    direction 0 1 0\n    length 3\n"
        "    axis 0 0 0 XYZ\n    dof rx ry rz\n  end\n"
        "  begin\n    id 2\n    name arm\n    direction 1 0 0\n    length 2\n"
        "    axis 0 0 30 XYZ\n    dof rz\n  end\n"
        ":hierarchy\n  begin\n    root spine\n    spine arm\n  end\n"
    )
    lines = [":FULLY-SPECIFIED", ":DEGREES"]
    for frame in range(n_frames):
        fast = frame >= switch
        angle = np.sin(frame * (0.4 if fast else 0.1))
        lines += [
            str(frame + 1),
            f"root {0.02 * frame:.4f} 0 0 0 {10 * angle:.4f} 0",
            f"spine {15 * angle:.4f} 0 {5 * angle:.4f}",
            f"arm {(60 if fast else 20) * angle:.4f}",
        ]
    amc = folder / "two_01.amc"
    amc.write_text("\n".join(lines) + "\n")
    return asf, amc


def invoke(*args: str) -> tuple[int, str]:
    from mocap_cli.app import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


# ----------------------------------------------------------------------------- labels CSV


def test_segments_csv_builds_frame_labels(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("# my labels\nstart,end,label\n0,2,walk\n2,5,jump  high \n5,6,walk\n")
    found = read_segments_csv(path, 6)
    assert found.labels.tolist() == [0, 0, 1, 1, 1, 0]
    assert found.action_names == ("walk", "jump high")  # the user's names, spaces tidied
    assert found.starts.tolist() == [0, 2, 5] and found.ends.tolist() == [2, 5, 6]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("0,3,a\n4,6,b\n", "line 2: the segment starting at 4 leaves a gap"),
        ("0,3,a\n2,6,b\n", "line 2: the segment starting at 2 overlaps"),
        ("0,3,a\n3,3,b\n", "line 2: end 3 is not after start 3"),
        ("0,3,a\n3,x,b\n", "line 2: start and end must be whole numbers"),
        ("0,3\n", "line 1: 2 cells"),
        ("0,3,a\n3,5,b\n", "end at frame 5, but the sequence has 6 frames"),
        ("start,end,label\n", "holds no segments"),
    ],
)
def test_segments_csv_refuses_bad_rows_with_the_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(content)
    with pytest.raises(BadDataError, match=message):
        read_segments_csv(path, 6)


# ----------------------------------------------------------------------------- conversion


def test_bvh_converts_with_skeleton_labels_and_frame_rate(tmp_path: Path) -> None:
    bvh = write_bvh(tmp_path / "swing.bvh")
    output = import_motion([bvh], tmp_path / "swing.h5", labels=write_labels(tmp_path / "l.csv"))
    sequence = read_sequence(output, "swing")
    assert sequence.frames.shape == (N_FRAMES, 3 + 3 * 6)  # 4 joints + 2 end sites
    assert sequence.frame_rate == pytest.approx(60.0, rel=1e-4)
    assert sequence.action_names == ("sway", "wave")
    assert np.flatnonzero(np.diff(sequence.labels)).tolist() == [SWITCH - 1]
    skeleton = read_skeleton(output)
    assert skeleton is not None and skeleton.n_joints == 6
    assert {"Hips", "Spine", "Head", "Arm"} <= set(skeleton.joint_names)
    # Deterministic: converting again gives the same bytes.
    (tmp_path / "second").mkdir()
    again = import_motion([bvh], tmp_path / "second" / "swing.h5", labels=tmp_path / "l.csv")
    assert again.read_bytes() == output.read_bytes()


def test_file_source_selects_unwraps_and_rebuilds(tmp_path: Path) -> None:
    output = import_motion(
        [write_bvh(tmp_path / "a.bvh"), write_bvh(tmp_path / "b.bvh", switch=60)],
        tmp_path / "two.h5",
    )
    with pytest.raises(UsageError, match="holds 2 sequences with frames"):
        file_source(output)
    with pytest.raises(UnknownNameError, match="Unknown sequence 'c'"):
        file_source(output, "c")
    source = file_source(output, "b")
    assert source.frames.shape[0] == N_FRAMES and source.labels is None
    assert source.skeleton is not None and source.root_columns == (0, 1, 2)
    rebuilt = source_from_description(json.loads(json.dumps(source.description)))
    np.testing.assert_array_equal(rebuilt.frames, source.frames)


def test_action_turns_converted_files_into_numbered_takes(tmp_path: Path) -> None:
    files = [write_bvh(tmp_path / "b.bvh"), write_bvh(tmp_path / "a.bvh", switch=60)]
    output = import_motion(files, tmp_path / "takes.h5", action="swing")
    assert takes_catalogue(output) == {"swing": [(1, N_FRAMES), (2, N_FRAMES)]}
    assert read_sequence(output, "a").take == 2  # numbered in the order given


def test_h36m_folder_becomes_takes_and_concatenates(tmp_path: Path) -> None:
    from mocap_seq2seq.data.sources import concatenation_source

    output = import_motion([write_h36m(tmp_path / "h36m")], tmp_path / "h36m.h5")
    takes = takes_catalogue(output)
    assert sorted(takes) == ["eating", "smoking", "walking"]
    assert [take for take, _ in takes["walking"]] == [1, 2, 3, 4]  # S1 1-2, S5 1-2
    source = concatenation_source(actions=["walking", "eating"], seed=3, data_file=output)
    assert set(np.unique(source.labels)) == {0, 1}
    assert source.frame_rate == 50.0
    assert source.skeleton is not None and source.skeleton.n_joints == 32
    rebuilt = source_from_description(json.loads(json.dumps(source.description)))
    np.testing.assert_array_equal(rebuilt.frames, source.frames)
    np.testing.assert_array_equal(rebuilt.labels, source.labels)


def test_conversion_refuses_mixtures_and_labels_for_many(tmp_path: Path) -> None:
    bvh = write_bvh(tmp_path / "a.bvh")
    other = tmp_path / "x.fbx"
    other.write_text("?")
    with pytest.raises(UsageError, match="Cannot tell the format"):
        import_motion([bvh, other], tmp_path / "o.h5")
    with pytest.raises(UsageError, match="one sequence"):
        import_motion(
            [bvh, write_bvh(tmp_path / "b.bvh")],
            tmp_path / "o.h5",
            labels=write_labels(tmp_path / "l.csv"),
        )
    with pytest.raises(UsageError, match="--asf gives the skeleton of AMC files"):
        import_motion([bvh], tmp_path / "o.h5", asf=bvh)
    assert not (tmp_path / "o.h5").exists()


# ----------------------------------------------------------------------------- the CLI


def test_convert_and_info_on_a_bvh(tmp_path: Path) -> None:
    bvh = write_bvh(tmp_path / "swing.bvh")
    target = tmp_path / "swing.h5"
    code, output = invoke(
        "convert", str(bvh), "--labels", str(write_labels(tmp_path / "l.csv")), "-o", str(target)
    )
    assert code == 0, output
    assert "bvh" in output and target.is_file()
    code, output = invoke("info", "--data", str(target))
    assert code == 0, output
    assert "swing" in output and "6 joints" in output and "sway" in output


def test_convert_reports_a_malformed_bvh_by_line(tmp_path: Path) -> None:
    bvh = write_bvh(tmp_path / "bad.bvh")
    lines = bvh.read_text().splitlines()
    motion_start = lines.index("MOTION") + 3
    lines[motion_start + 4] = lines[motion_start + 4].rsplit(" ", 1)[0]  # one value short
    bvh.write_text("\n".join(lines) + "\n")
    code, output = invoke("convert", str(bvh), "-o", str(tmp_path / "bad.h5"))
    assert code == 1
    assert f"line {motion_start + 5}" in output and "Traceback" not in output
    assert not (tmp_path / "bad.h5").exists()


def test_selector_refuses_trial_with_data(tmp_path: Path) -> None:
    output = import_motion([write_bvh(tmp_path / "a.bvh")], tmp_path / "a.h5")
    code, text = invoke("train", "--data", str(output), "--trial", "01", "--preset", "tiny")
    assert code == 2 and "--sequence" in text
    code, text = invoke("train", "--sequence", "a", "--preset", "tiny")
    assert code == 2 and "--sequence needs --data" in text


def test_segment_takes_a_bvh_from_file_to_report(tmp_path: Path) -> None:
    bvh = write_bvh(tmp_path / "swing.bvh")
    labels = write_labels(tmp_path / "swing.csv")
    target = tmp_path / "report"
    code, output = invoke(
        "segment",
        str(bvh),
        "--labels",
        str(labels),
        "--preset",
        "tiny",
        "--video",
        "-o",
        str(target),
    )
    assert code == 0, output
    for name in ("data.h5", "embedding.h5", "report.html", "report.md", "summary.json"):
        assert (target / name).is_file(), name
    assert (target / "clustering" / "segments.csv").is_file()
    assert list(target.glob("swing.*")) and list(target.glob("swing.*"))[0].suffix in (
        ".gif",
        ".mp4",
    )
    summary = json.loads((target / "summary.json").read_text())
    segments = summary["segments"]
    assert segments[0]["start"] == 0 and segments[-1]["end"] == N_FRAMES
    assert len(summary["evaluations"]) == 5
    # The finished report is not overwritten by accident.
    code, output = invoke("segment", str(bvh), "--preset", "tiny", "-o", str(target))
    assert code == 2 and "--overwrite" in output
    # `mocap evaluate` works on what segment wrote.
    code, output = invoke("evaluate", str(target / "clustering"), "--no-figure")
    assert code == 0, output
    assert "ARI" in output


def test_segment_of_a_too_short_capture_leaves_nothing_and_takes_a_shorter_window(
    tmp_path: Path,
) -> None:
    bvh = write_bvh(tmp_path / "short.bvh", n_frames=60, switch=30)
    target = tmp_path / "report"
    code, output = invoke("segment", str(bvh), "--preset", "tiny", "-o", str(target))
    assert code == 2 and "does not fit a sequence of 60 frames" in output, output
    assert "--source-length" in output
    assert not target.exists()  # not even the converted data.h5
    code, output = invoke(
        "segment",
        str(bvh),
        "--preset",
        "tiny",
        "--steps",
        "4",
        "--source-length",
        "10",
        "--target-length",
        "5",
        "-o",
        str(target),
    )
    assert code == 0, output
    stored = json.loads((target / "run" / "config.json").read_text())
    assert (stored["train"]["source_length"], stored["train"]["target_length"]) == (10, 5)
    # The model's window is fixed: embedding a shorter sequence says so.
    tiny = import_motion(
        [write_bvh(tmp_path / "tiny.bvh", n_frames=12, switch=6)], tmp_path / "t.h5"
    )
    code, output = invoke(
        "embed", str(target / "run"), "--data", str(tiny), "-o", str(tmp_path / "e.h5")
    )
    assert code == 2 and "This model reads 10 + 5 frames" in output, output
    assert not (tmp_path / "e.h5").exists()


def test_train_embed_on_a_converted_file_and_h36m_actions(tmp_path: Path) -> None:
    data = import_motion([write_h36m(tmp_path / "h36m")], tmp_path / "h36m.h5")
    run = tmp_path / "run"
    code, output = invoke(
        "train",
        "--data",
        str(data),
        "--actions",
        "walking,eating",
        "--preset",
        "tiny",
        "-o",
        str(run),
    )
    assert code == 0, output
    stored = json.loads((run / "config.json").read_text())
    assert stored["data"]["recipe"]["data_file"] == str(data.resolve())
    code, output = invoke("embed", str(run))
    assert code == 0, output
    code, output = invoke("cluster", str(run / "embedding.h5"))
    assert code == 0, output


def test_segment_takes_an_asf_amc_pair_to_a_report(tmp_path: Path) -> None:
    asf, amc = write_asf_amc(tmp_path)
    labels = tmp_path / "two.csv"
    labels.write_text("0,110,slow\n110,200,fast\n")
    target = tmp_path / "report"
    code, output = invoke(
        "segment",
        str(asf),
        str(amc),
        "--labels",
        str(labels),
        "--frame-rate",
        "120",
        "--preset",
        "tiny",
        "--video",
        "-o",
        str(target),
    )
    assert code == 0, output
    data = target / "data.h5"
    assert read_sequence(data, "two_01").frame_rate == 120.0
    skeleton = read_skeleton(data)
    assert skeleton is not None and {"spine", "arm"} <= set(skeleton.joint_names)
    assert list(target.glob("two_01.*"))
    summary = json.loads((target / "summary.json").read_text())
    assert summary["segments"][-1]["end"] == 200 and summary["evaluations"]
