"""The one validation layer: each kind of fault gives one error class and one exit code."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse

from mocap_seq2seq.data import store
from mocap_seq2seq.errors import (
    BadDataError,
    DataFileError,
    ModelFileError,
    NotNumbersError,
    UsageError,
)
from mocap_seq2seq.model.windows import fit_normalization
from mocap_seq2seq.motion.features import velocities
from mocap_seq2seq.motion.skeleton import cmu38_skeleton, forward_kinematics
from mocap_seq2seq.segment.segmentation import KMeansFrames
from mocap_seq2seq.validation import (
    Field,
    check_fields,
    check_frames,
    check_int,
    check_number,
    read_json_object,
)

FAULTS = [
    pytest.param(np.zeros(10), UsageError, "2-D array", id="1-D"),
    pytest.param(np.zeros((0, 3)), UsageError, "at least one frame", id="no frame"),
    pytest.param(np.zeros((4, 0)), UsageError, r"0 feature\(s\)", id="no channel"),
    pytest.param(np.array([["a", "b"]]), NotNumbersError, "real numbers", id="strings"),
    pytest.param(np.array([[{"a": 1}, 2.0]], dtype=object), NotNumbersError, "not numbers"),
    pytest.param(scipy.sparse.csr_matrix(np.eye(3)), UsageError, "sparse", id="sparse"),
    pytest.param(np.ones((3, 2)) * 1j, BadDataError, "Complex data not supported", id="complex"),
    pytest.param(np.array([[0.0], [np.inf]]), BadDataError, r"first at frame 1", id="inf"),
]


@pytest.mark.parametrize(("frames", "error", "message"), FAULTS)
def test_one_fault_one_class_wherever_it_is_met(frames, error, message) -> None:
    # The same fault through four stages that used to check frames each their own way.
    callers = [
        check_frames,
        fit_normalization,
        lambda x: velocities(x),
        lambda x: KMeansFrames(n_clusters=1).fit(x),
    ]
    for call in callers:
        with pytest.raises(error, match=message) as caught:
            call(frames)
        assert isinstance(caught.value, ValueError)  # what scikit-learn and numpy callers expect
        assert caught.value.exit_code == (2 if issubclass(error, UsageError) else 1)


def test_not_numbers_is_also_a_type_error() -> None:
    with pytest.raises(TypeError, match="argument must be .* string.* number"):
        check_frames(np.array([[{"a": 1}, 2.0]], dtype=object))


def test_object_arrays_of_numbers_are_converted() -> None:
    result = check_frames(np.array([[1, 2.5]], dtype=object))
    assert result.dtype == np.float64 and result.tolist() == [[1.0, 2.5]]


def test_channel_count_and_minimum_frames() -> None:
    with pytest.raises(BadDataError, match="have 4 channels. Expected 5 channels"):
        check_frames(np.zeros((3, 4)), n_channels=5)
    with pytest.raises(UsageError, match="at least 3 frames"):
        check_frames(np.zeros((2, 4)), min_frames=3)


def test_forward_kinematics_refuses_complex_frames() -> None:
    with pytest.raises(BadDataError, match="Complex"):
        forward_kinematics(cmu38_skeleton(), np.zeros((2, 117)) + 1j)


# Issue 17, "complex frames (imaginary part dropped silently, exit 0)" and "a value that
# overflows float32 (a numpy RuntimeWarning before the error)": both refused before writing.
def test_store_refuses_complex_frames_instead_of_dropping_the_imaginary_part(
    tmp_path: Path,
) -> None:
    frames = np.zeros((5, 3), dtype=np.complex128)
    frames[2, 1] = 1j
    sequence = store.Sequence(name="s", kind="sequence", n_frames=5, frames=frames)
    with pytest.raises(BadDataError, match="complex numbers"):
        store.write_collection(tmp_path / "x.h5", [sequence], collection="test")
    assert not (tmp_path / "x.h5").exists()


def test_store_refuses_values_beyond_float32_without_a_warning(tmp_path: Path) -> None:
    frames = np.zeros((5, 3))
    frames[4, 0] = 1e39
    sequence = store.Sequence(name="s", kind="sequence", n_frames=5, frames=frames)
    with pytest.raises(BadDataError, match=r"beyond float32's range \(first at frame 4\)"):
        store.write_collection(tmp_path / "x.h5", [sequence], collection="test")
    assert not (tmp_path / "x.h5").exists()


@pytest.mark.parametrize("value", [0, -3, 2.0, True, "4", None])
def test_check_int_refuses_and_says_how_to_fix(value) -> None:
    with pytest.raises(UsageError, match=r"The 'step' of F must be a whole number >= 1\. Got "):
        check_int(value, "step", owner="F", low=1)


def test_check_int_range_message() -> None:
    with pytest.raises(UsageError) as caught:
        check_int(9, "n_clusters", owner="F", low=1, high=5, high_text="the frames", option="--k")
    assert str(caught.value) == (
        "The 'n_clusters' of F must be between 1 and the frames (5). Got 9. "
        "Pass a --k between 1 and 5."
    )
    assert check_int(None, "k", allow_none=True) is None
    assert check_int(np.int64(3), "k", low=1) == 3


@pytest.mark.parametrize("value", [0.0, -1, float("nan"), float("inf"), "1", True])
def test_check_number_refuses(value) -> None:
    with pytest.raises(UsageError, match="must be a finite number > 0"):
        check_number(value, "bandwidth", low=0, low_inclusive=False)


def test_check_number_bounds() -> None:
    assert check_number(1, "x", low=0, high=1) == 1.0
    with pytest.raises(UsageError, match=">= 0 and <= 1"):
        check_number(1.5, "x", low=0, high=1)


SCHEMA = {"step": int, "state": str, "loss": Field((float,), required=False)}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([], "holds a list, not a JSON object"),
        ({}, "has no field 'step'"),
        ({"step": "forty", "state": "s"}, "field 'step' is the str 'forty'. Expected an int"),
        ({"step": True, "state": "s"}, "field 'step' is the bool True"),
        ({"step": 1, "state": "s", "loss": "x"}, "field 'loss' is the str 'x'. Expected a number"),
    ],
)
def test_damaged_json_names_the_file_and_the_field(tmp_path: Path, content, message) -> None:
    path = tmp_path / "checkpoint.json"
    path.write_text(json.dumps(content))
    with pytest.raises(DataFileError, match=message) as caught:
        read_json_object(path, SCHEMA)
    assert str(path) in str(caught.value)
    assert caught.value.exit_code == 1


def test_json_schema_accepts_good_files_and_chosen_error(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"step": 3, "state": "s", "loss": 1, "extra": [1]}))
    assert read_json_object(path, SCHEMA)["extra"] == [1]
    path.write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        read_json_object(path, SCHEMA, error=ModelFileError)
    with pytest.raises(ModelFileError, match="does not exist"):
        read_json_object(tmp_path / "missing.json", SCHEMA, error=ModelFileError)


def test_field_check_reports_a_bad_value() -> None:
    schema = {"steps": Field((int,), check=lambda v: "is negative" if v < 0 else None)}
    with pytest.raises(DataFileError, match="field 'steps' is negative"):
        check_fields({"steps": -3}, schema, file="config.json")
