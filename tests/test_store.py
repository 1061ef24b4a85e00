"""Converter, HDF5 layout and loader: round trips, determinism, and every bad-file error."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from mocap_seq2seq.data import store
from mocap_seq2seq.data.formats.cmu import read_expmap_text, read_ground_truth, read_subject86_mat
from mocap_seq2seq.errors import (
    BadDataError,
    DataFileError,
    NoFramesError,
    OutputExistsError,
    UnknownNameError,
)

SHIPPED = Path(__file__).resolve().parent.parent / "data"


def test_takes_round_trip(cmu_source: Path, data_dir: Path) -> None:
    take = store.load_take("running", 2, data_dir)
    raw = read_expmap_text(cmu_source / "actions/train/running/running_2.txt")
    np.testing.assert_array_equal(take.frames, raw)
    assert take.frames.dtype == np.float32
    # The file stores no rate (Li et al. state none); reading applies the documented 120 fps.
    assert (take.action, take.take, take.frame_rate) == ("running", 2, 120.0)
    with h5py.File(data_dir / store.ACTIONS_FILE) as handle:
        assert np.isnan(handle["sequences/running_2"].attrs["frame_rate"])
    assert store.collection_frame_rate(data_dir / store.ACTIONS_FILE) == 120.0
    assert take.source_file == "actions/train/running/running_2.txt"


def test_trial_labels_come_from_best_frames(cmu_source: Path, data_dir: Path) -> None:
    trial = store.load_trial("1", data_dir)
    raw = read_subject86_mat(cmu_source / "subject86/expmap/01.mat")
    np.testing.assert_array_equal(trial.frames, raw)
    # The .mat row count (600) wins over the annotated total (599).
    assert trial.n_frames == 600 and trial.labels.shape == (600,)
    # "walk " and "walking" are one action; names are stripped.
    assert trial.action_names == ("walking", "punching")
    assert trial.labels[199] == 0 and trial.labels[200] == 1 and trial.labels[420] == 0
    assert trial.segments.start.tolist() == [0, 200, 420]
    assert trial.segments.end.tolist() == [200, 420, 600]
    assert trial.segments.tolerance_windows().tolist() == [[190, 210], [410, 430]]
    assert trial.frame_rate == 120.0


def test_trial_without_frames_says_so(data_dir: Path) -> None:
    with pytest.raises(NoFramesError, match="No frames are available for '02'"):
        store.load_trial("02", data_dir)
    ground_truth = store.read_sequence(data_dir / store.SUBJECT86_FILE, "02", require_frames=False)
    assert ground_truth.frames is None and ground_truth.n_frames == 700
    # An unordered triple: best (300) for the label, min..max (300..330) for tolerance.
    assert ground_truth.segments.start.tolist() == [0, 300]
    assert ground_truth.segments.tolerance_windows().tolist() == [[300, 330]]


def test_unknown_names_list_the_valid_ones(data_dir: Path) -> None:
    with pytest.raises(UnknownNameError, match="Expected one of 01, 02"):
        store.load_trial("99", data_dir)
    with pytest.raises(UnknownNameError, match="Expected one of jumping, running, walking"):
        store.load_take("flying", 1, data_dir)
    with pytest.raises(UnknownNameError, match="has no take 7"):
        store.load_take("walking", 7, data_dir)


def test_conversion_is_deterministic(cmu_source: Path, tmp_path: Path) -> None:
    first = store.convert_cmu(cmu_source, tmp_path / "a")
    second = store.convert_cmu(cmu_source, tmp_path / "b")
    for one, two in zip(first, second):
        assert one.read_bytes() == two.read_bytes()


def test_existing_output_is_refused_unless_overwrite(cmu_source: Path, tmp_path: Path) -> None:
    store.convert_cmu(cmu_source, tmp_path)
    with pytest.raises(OutputExistsError, match="--overwrite"):
        store.convert_cmu(cmu_source, tmp_path)
    store.convert_cmu(cmu_source, tmp_path, overwrite=True)
    assert not list(tmp_path.glob(".*partial*"))


def test_bad_files_give_one_clear_error(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        store.sequence_names(tmp_path / "missing.h5")
    text = tmp_path / "text.h5"
    text.write_text("not hdf5")
    with pytest.raises(DataFileError, match="not a readable HDF5 file"):
        store.sequence_names(text)
    truncated = tmp_path / "truncated.h5"
    content = (data_dir / store.SUBJECT86_FILE).read_bytes()
    truncated.write_bytes(content[: len(content) // 2])
    with pytest.raises(DataFileError):
        store.read_sequence(truncated, "01")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as handle:
        handle.create_dataset("x", data=np.zeros(3))
    with pytest.raises(DataFileError, match="not in the toolkit's layout"):
        store.sequence_names(other)


def test_nan_frames_are_refused(tmp_path: Path) -> None:
    frames = np.zeros((10, 4), dtype=np.float32)
    frames[3, 1] = np.nan
    sequence = store.Sequence(name="s", kind="sequence", n_frames=10, frames=frames)
    with pytest.raises(BadDataError, match="first at frame 3"):
        store.write_collection(tmp_path / "x.h5", [sequence], collection="test")
    assert not (tmp_path / "x.h5").exists()


def test_source_with_wrong_channel_count(tmp_path: Path) -> None:
    path = tmp_path / "walking_1.txt"
    np.savetxt(path, np.zeros((5, 10)), delimiter=",")
    with pytest.raises(BadDataError, match="117 channels"):
        read_expmap_text(path)


def test_ground_truth_malformed(tmp_path: Path) -> None:
    path = tmp_path / "gt.txt"
    path.write_text("3\n1 walk\n10 20\n")
    with pytest.raises(DataFileError, match="malformed"):
        read_ground_truth(path)


@pytest.mark.skipif(not (SHIPPED / store.SUBJECT86_FILE).exists(), reason="no shipped data")
def test_shipped_catalogue_matches_the_source_readme() -> None:
    found = store.catalogue(SHIPPED)
    assert sum(len(takes) for takes in found.takes.values()) == 33
    assert sorted(found.takes) == sorted(
        [
            "basketball",
            "basketball_signal",
            "directing_traffic",
            "jumping",
            "running",
            "soccer",
            "walking",
            "washwindow",
        ]
    )
    with_frames = {
        name: entry["n_frames"] for name, entry in found.trials.items() if entry["has_frames"]
    }
    assert with_frames == {
        "01": 4579,
        "03": 8401,
        "05": 8340,
        "07": 8702,
        "09": 4794,
        "10": 7583,
        "11": 5674,
        "12": 8856,
        "13": 6221,
        "14": 6055,
    }
    assert sorted(set(found.trials) - set(with_frames)) == ["02", "04", "06", "08"]
    trial = store.load_trial("01", SHIPPED)
    assert trial.labels[549] == trial.action_names.index("walking")
    assert trial.action_names[trial.labels[550]] == "jump_forward"
    assert "walk" not in store.load_trial("03", SHIPPED).action_names
