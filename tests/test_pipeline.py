"""The whole chain on tiny real data: train -> embed -> cluster -> evaluate, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from mocap_cli.app import app
from mocap_cli.cluster_cmd import METHODS
from mocap_seq2seq.segment.segmentation import SEGMENTERS

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def trained_run(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("pipeline") / "run"
    code, output = invoke(
        "train",
        "--trial",
        "01",
        "--steps",
        "30",
        "--hidden-size",
        "16",
        "--source-length",
        "20",
        "--target-length",
        "10",
        "--batch-size",
        "8",
        "--checkpoint-every",
        "15",
        "--no-monitor",
        "-o",
        str(run),
        "--data-dir",
        str(data_dir),
    )
    assert code == 0, output
    return run


@pytest.fixture(scope="module")
def embedding_file(trained_run: Path, data_dir: Path) -> Path:
    code, output = invoke("embed", str(trained_run), "--data-dir", str(data_dir))
    assert code == 0, output
    return trained_run / "embedding.h5"


def test_cli_methods_are_the_segmenters() -> None:
    assert set(METHODS) == set(SEGMENTERS)


def test_embedding_has_one_state_per_frame(embedding_file: Path) -> None:
    with h5py.File(embedding_file, "r") as handle:
        assert handle["states"].shape == (600, 16)
        assert handle["pca"].shape == (600, 3)
        filled = handle["filled"][()]
        assert filled[:20].all() and not filled[20]
        assert handle["labels"].shape == (600,)
    code, output = invoke("embed", str(embedding_file.parent))
    assert code == 2 and "--overwrite" in output


def test_the_ground_truth_travels_whole_from_source_to_embedding_file(
    embedding_file: Path, data_dir: Path
) -> None:
    from mocap_seq2seq.data.sources import trial_source
    from mocap_seq2seq.embedding import read_embedding
    from mocap_seq2seq.labels import GroundTruth

    source = trial_source("01", data_dir)
    read = read_embedding(embedding_file)
    assert isinstance(source.truth, GroundTruth) and isinstance(read.truth, GroundTruth)
    np.testing.assert_array_equal(read.truth.labels, source.truth.labels)
    np.testing.assert_array_equal(read.truth.tolerance_windows, source.truth.tolerance_windows)
    assert read.truth.action_names == source.truth.action_names
    assert read.labels is read.truth.labels  # the old names are views of the one truth
    assert source.segment_bounds.tolist() == source.truth.segment_bounds.tolist()


def test_tolerance_windows_are_built_in_seconds_in_one_place() -> None:
    from mocap_seq2seq.labels import GroundTruth

    labels = np.repeat([0, 1, 0], 100)
    at_120 = GroundTruth.around_boundaries(labels, ("a", "b"), frame_rate=120.0)
    at_60 = GroundTruth.around_boundaries(labels, ("a", "b"), frame_rate=60.0)
    assert at_120.tolerance_windows.tolist() == [[75, 125], [175, 225]]
    assert at_60.tolerance_windows.tolist() == [[88, 112], [188, 212]]
    assert at_120.n_actions == 2 and at_120.boundaries.tolist() == [100, 200]


@pytest.mark.parametrize("method", METHODS)
def test_cluster_then_evaluate(embedding_file: Path, tmp_path: Path, method: str) -> None:
    folder = tmp_path / method
    code, output = invoke(
        "cluster", str(embedding_file), "--method", method, "--k", "oracle", "-o", str(folder)
    )
    assert code == 0, output
    segments = json.loads((folder / "segments.json").read_text())
    assert segments[0]["start"] == 0 and segments[-1]["end"] == 600
    csv_rows = (folder / "segments.csv").read_text().splitlines()
    # Seconds beside the frames (issue 16): the tiny trial is stored at 120 fps.
    assert csv_rows[0] == "start,end,label,start_s,end_s" and len(csv_rows) == len(segments) + 1
    assert segments[-1]["end_s"] == 5.0
    assert len((folder / "frame_labels.csv").read_text().splitlines()) == 601
    code, output = invoke(
        "evaluate", str(folder), "--no-figure" if method != "kernel" else "--figure"
    )
    assert code == 0, output
    report = json.loads((folder / "evaluation.json").read_text())
    assert report["k_mode"] == "oracle" and report["protocol"] == "leakage-free"
    assert 0.0 <= report["scores"]["accuracy"] <= 1.0
    assert "Oracle K" in (folder / "evaluation.md").read_text()
    if method == "kernel":
        assert (folder / "evaluation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_kernel_on_states_beats_chance(embedding_file: Path, tmp_path: Path) -> None:
    # Even a 30-step model separates the two synthetic regimes of the tiny trial.
    invoke("cluster", str(embedding_file), "--k", "oracle", "-o", str(tmp_path / "c"))
    invoke("evaluate", str(tmp_path / "c"), "--no-figure")
    scores = json.loads((tmp_path / "c" / "evaluation.json").read_text())["scores"]
    assert scores["accuracy"] > 0.75


def test_cluster_usage_errors(embedding_file: Path, tmp_path: Path) -> None:
    code, output = invoke("cluster", str(embedding_file), "--k", "0", "-o", str(tmp_path / "a"))
    assert code == 2 and "--k must be at least 1" in output
    code, output = invoke("cluster", str(embedding_file), "--k", "601", "-o", str(tmp_path / "b"))
    # Deciding this needs the embedding file opened: exit code 1 (docs/RELIABILITY.md).
    assert code == 1 and "between 1 and the number of frames" in output
    code, output = invoke("cluster", str(tmp_path / "missing.h5"))
    assert code == 1 and "does not exist" in output
    not_hdf5 = tmp_path / "bad.h5"
    not_hdf5.write_text("nope")
    code, output = invoke("cluster", str(not_hdf5))
    assert code == 1 and "not a readable embedding file" in output
    assert not (tmp_path / "a").exists()


def test_cluster_takes_the_transfer_automatic_k(embedding_file: Path, tmp_path: Path) -> None:
    from mocap_seq2seq.segment.segmentation import AUTOMATIC_K_RULES

    out = tmp_path / "transfer"
    code, output = invoke("cluster", str(embedding_file), "--auto-k", "transfer", "-o", str(out))
    assert code == 0, output
    stored = json.loads((out / "clustering.json").read_text())["parameters"]
    for name, value in AUTOMATIC_K_RULES["transfer"].items():
        assert stored[name] == value
    code, output = invoke(
        "cluster", str(embedding_file), "--method", "kmeans", "--auto-k", "transfer"
    )
    assert code == 2 and "--auto-k applies to --method kernel only" in output


def test_paper_protocol_is_labelled(trained_run: Path, data_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "paper.h5"
    code, output = invoke(
        "embed",
        str(trained_run),
        "--paper-protocol",
        "-o",
        str(target),
        "--data-dir",
        str(data_dir),
    )
    assert code == 0 and "paper protocol" in output
    invoke("cluster", str(target), "--k", "2", "-o", str(tmp_path / "c"))
    code, output = invoke("evaluate", str(tmp_path / "c"), "--no-figure")
    assert code == 0 and "paper" in output
    assert "Paper protocol" in (tmp_path / "c" / "evaluation.md").read_text()
    labels = np.loadtxt(tmp_path / "c" / "frame_labels.csv", delimiter=",", skiprows=1)
    assert labels.shape == (600, 2)
