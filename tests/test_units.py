"""Physical units (issue 16, item 1): parameters in seconds, one conversion, --frame-rate.

Real HDF5 files (the shipped trial, files converted by the tests) and real
tiny models; nothing is mocked.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from test_import import write_asf_amc, write_bvh
from typer.testing import CliRunner

from mocap_cli.app import app
from mocap_seq2seq.data.importers import import_motion
from mocap_seq2seq.data.resample import resample_frames
from mocap_seq2seq.data.sources import trial_source
from mocap_seq2seq.data.store import read_sequence
from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.labels import tolerance_frames
from mocap_seq2seq.segment.segmentation import KernelSegmenter
from mocap_seq2seq.units import frames_to_seconds, require_frame_rate, seconds_to_frames

NO_RATE = "has no frame rate, and times in seconds need one"


def invoke(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    return result.exit_code, result.output


# ----------------------------------------------------------------------------- the helper


@pytest.mark.parametrize(
    ("seconds", "rate", "minimum", "frames"),
    [
        (10 / 120, 120.0, 1, 10),  # the block: today's 10 frames at 120 fps
        (10 / 120, 60.0, 1, 5),
        (10 / 120, 50.0, 1, 4),  # 4.17
        (10 / 120, 30.0, 1, 2),  # 2.5, halves to even
        (0.5, 120.0, 1, 60),  # the shortest segment
        (0.5, 60.0, 1, 30),
        (0.5, 29.97, 1, 15),
        (25 / 120, 120.0, 0, 25),  # the tolerance
        (25 / 120, 60.0, 0, 12),  # 12.5, halves to even, as tolerance_frames always did
        (25 / 120, 50.0, 0, 10),
        (0.001, 30.0, 1, 1),  # never an empty block
        (0.0, 30.0, 0, 0),
    ],
)
def test_seconds_to_frames_known_answers(
    seconds: float, rate: float, minimum: int, frames: int
) -> None:
    assert seconds_to_frames(seconds, rate, minimum=minimum) == frames


def test_frames_to_seconds_and_the_tolerance_use_the_helper() -> None:
    assert frames_to_seconds(90, 60.0) == 1.5
    assert [tolerance_frames(rate) for rate in (120.0, 60.0, 50.0, 30.0)] == [25, 12, 10, 6]


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_rates_and_durations_are_usage_errors(bad: float) -> None:
    with pytest.raises(UsageError):
        seconds_to_frames(0.5, bad)
    with pytest.raises(UsageError):
        seconds_to_frames(bad if bad != 0.0 else -0.5, 120.0)


def test_a_missing_rate_names_the_option() -> None:
    with pytest.raises(UsageError, match="--frame-rate") as caught:
        require_frame_rate(None, "'walk'")
    assert str(caught.value).startswith(f"'walk' {NO_RATE}.")
    assert require_frame_rate(60, "'walk'") == 60.0


# ----------------------------------------------------------------------------- the segmenter


def test_defaults_in_seconds_equal_the_frame_defaults_at_120_fps() -> None:
    frames = trial_source("01").frames
    model = KernelSegmenter(n_clusters=4, n_segments=7).fit(frames)
    assert (model.step_, model.min_segment_length_) == (10, 60)
    by_frames = KernelSegmenter(n_clusters=4, n_segments=7, step=10, min_segment_length=60)
    np.testing.assert_array_equal(model.frame_labels_, by_frames.fit(frames).frame_labels_)


def test_a_trial_resampled_to_60_fps_segments_with_the_same_seconds() -> None:
    """Resampled properly (data/resample.py), the same seconds make half the frames a block:
    the same number of blocks, and the change points at the same times."""
    frames = trial_source("01").frames
    at_120 = KernelSegmenter(n_clusters=4, n_segments=7).fit(frames)
    halved = resample_frames(frames, 120.0, 60.0)
    at_60 = KernelSegmenter(n_clusters=4, n_segments=7, frame_rate=60.0).fit(halved)
    assert (at_60.step_, at_60.min_segment_length_) == (5, 30)
    assert abs(halved.shape[0] // at_60.step_ - frames.shape[0] // at_120.step_) <= 1
    seconds_120 = at_120.segment_frames_[:, 0] / 120.0
    seconds_60 = at_60.segment_frames_[:, 0] / 60.0
    np.testing.assert_allclose(seconds_60, seconds_120, atol=2 * 10 / 120)


def test_a_frame_parameter_wins_over_seconds() -> None:
    frames = trial_source("01").frames[:1200]
    model = KernelSegmenter(frame_rate=60.0, step=7, min_segment_length=70).fit(frames)
    assert (model.step_, model.min_segment_length_) == (7, 70)
    assert model.get_params()["block_seconds"] == 10 / 120  # stored verbatim, unused


# ----------------------------------------------------------------------------- the commands


def test_convert_refuses_amc_without_a_rate_and_overrides_a_stated_one(tmp_path: Path) -> None:
    asf, amc = write_asf_amc(tmp_path)
    code, output = invoke("convert", asf, amc, "-o", tmp_path / "two.h5")
    assert code == 2, output
    assert output == (
        "Error: 'two_01.amc' has no frame rate (AMC files state none), and times in seconds "
        "need one. Expected the rate it was captured at. Pass --frame-rate, e.g. "
        "--frame-rate 120.\n"
    )
    assert not (tmp_path / "two.h5").exists()
    code, output = invoke("convert", asf, amc, "--frame-rate", "120", "-o", tmp_path / "two.h5")
    assert code == 0, output
    assert read_sequence(tmp_path / "two.h5", "two_01").frame_rate == 120.0
    bvh = write_bvh(tmp_path / "swing.bvh")  # states 60 fps
    code, output = invoke("convert", bvh, "--frame-rate", "30", "-o", tmp_path / "s.h5")
    assert code == 0, output
    assert read_sequence(tmp_path / "s.h5", "swing").frame_rate == 30.0


@pytest.fixture(scope="module")
def rateless_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A converted file whose sequence stores no rate (as files written before rates were
    required may): a real HDF5 file, its attribute set to NaN."""
    folder = tmp_path_factory.mktemp("rateless")
    path = import_motion([write_bvh(folder / "swing.bvh")], folder / "swing.h5")
    with h5py.File(path, "r+") as handle:
        handle["sequences/swing"].attrs["frame_rate"] = float("nan")
    return path


def test_segment_refuses_a_file_without_a_rate_before_training(
    rateless_file: Path, tmp_path: Path
) -> None:
    target = tmp_path / "report"
    code, output = invoke("segment", rateless_file, "--preset", "tiny", "-o", target)
    assert code == 2, output
    assert output.count("\n") == 1 and "--frame-rate" in output and NO_RATE in output
    assert "Traceback" not in output and not target.exists()


def test_frame_rate_flows_from_train_to_segments_csv(rateless_file: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    tiny = ("--hidden-size", 8, "--steps", 4, "--checkpoint-every", 4, "--batch-size", 4)
    windows = ("--source-length", 10, "--target-length", 5, "--no-monitor")
    code, output = invoke(
        "train", "--data", rateless_file, *tiny, *windows, "--frame-rate", 60, "-o", run
    )
    assert code == 0, output
    assert json.loads((run / "config.json").read_text())["data"]["frame_rate"] == 60.0
    code, output = invoke("embed", run)  # rebuilt at the rate the run was given
    assert code == 0, output
    with h5py.File(run / "embedding.h5") as handle:
        assert json.loads(handle.attrs["metadata"])["frame_rate"] == 60.0

    code, output = invoke("cluster", run / "embedding.h5", "-o", tmp_path / "c60")
    assert code == 0, output
    stored = json.loads((tmp_path / "c60" / "clustering.json").read_text())
    assert stored["frame_rate"] == 60.0 and stored["parameters"]["frame_rate"] == 60.0
    with open(tmp_path / "c60" / "segments.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["start", "end", "label", "start_s", "end_s"]
    assert rows[-1]["end"] == "240" and float(rows[-1]["end_s"]) == 4.0
    for row in rows:
        assert float(row["start_s"]) == pytest.approx(int(row["start"]) / 60.0, abs=1e-4)

    # --frame-rate on cluster overrides the embedding's rate.
    code, output = invoke(
        "cluster", run / "embedding.h5", "--frame-rate", 120, "-o", tmp_path / "c120"
    )
    assert code == 0, output
    segments = json.loads((tmp_path / "c120" / "segments.json").read_text())
    assert segments[-1]["end"] == 240 and segments[-1]["end_s"] == 2.0
    parameters = json.loads((tmp_path / "c120" / "clustering.json").read_text())["parameters"]
    assert parameters["frame_rate"] == 120.0

    # Embedded without the run's rate (the sequence given again, with none): cluster refuses.
    code, output = invoke("embed", run, "--data", rateless_file, "-o", tmp_path / "bare.h5")
    assert code == 0, output
    code, output = invoke("cluster", tmp_path / "bare.h5", "-o", tmp_path / "bare")
    assert code == 2, output
    assert output.count("\n") == 1 and "--frame-rate" in output and NO_RATE in output
    assert not (tmp_path / "bare").exists()
    # A segmenter that has no time-like parameter needs no rate, and writes frames only.
    code, output = invoke(
        "cluster", tmp_path / "bare.h5", "--method", "kmeans", "--k", 2, "-o", tmp_path / "km"
    )
    assert code == 0, output
    header = (tmp_path / "km" / "segments.csv").read_text().splitlines()[0]
    assert header == "start,end,label"


def test_a_segments_csv_with_seconds_reads_back_as_labels(tmp_path: Path) -> None:
    from mocap_seq2seq.data.formats.segments_csv import read_segments_csv
    from mocap_seq2seq.segment.results import write_clustering

    labels = np.repeat([0, 1, 0], [30, 60, 30])
    write_clustering(tmp_path, labels, {"embedding": "e.h5"}, frame_rate=60.0)
    text = (tmp_path / "segments.csv").read_text()
    assert (
        text == "start,end,label,start_s,end_s\n0,30,0,0.0,0.5\n30,90,1,0.5,1.5\n90,120,0,1.5,2.0\n"
    )
    found = read_segments_csv(tmp_path / "segments.csv", 120)
    np.testing.assert_array_equal(found.labels, labels)
