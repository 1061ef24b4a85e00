"""A folder of takes in one command: `mocap segment FOLDER_OR_FILES...` (mocap_seq2seq/takes.py).

Real BVH files, converted by the real converter, real tiny Keras models, the
real CLI; the Dask test runs a real local cluster of two worker processes.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from test_import import invoke, write_bvh

from mocap_seq2seq.takes import find_takes

N_FRAMES = 240


def _folder(root: Path) -> Path:
    """Three good takes (slow then fast, all slow, all fast), a broken one, a too short one."""
    folder = root / "takes"
    folder.mkdir()
    write_bvh(folder / "mixed.bvh", N_FRAMES, 120)
    write_bvh(folder / "slow.bvh", N_FRAMES, N_FRAMES)
    write_bvh(folder / "fast.bvh", N_FRAMES, 0)
    (folder / "broken.bvh").write_text("HIERARCHY\nROOT Hips\n{ nonsense\n")
    write_bvh(folder / "short.bvh", 30, 15)
    return folder


def _rows(target: Path) -> list[dict[str, str]]:
    with open(target / "segments.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _majority(rows: list[dict[str, str]], take: str) -> str:
    weights: dict[str, int] = {}
    for row in rows:
        if row["take"] == take:
            span = int(row["end_frame"]) - int(row["start_frame"])
            weights[row["action"]] = weights.get(row["action"], 0) + span
    return max(weights, key=weights.__getitem__)


def test_a_folder_of_takes_is_segmented_together_and_resumes(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    target = tmp_path / "out"
    code, output = invoke("segment", str(folder), "--preset", "tiny", "--k", "2", "-o", str(target))
    assert code == 0, output
    # The bad takes are reported and left out, not fatal.
    assert "left out broken" in output and "left out short" in output
    rows = _rows(target)
    assert {row["take"] for row in rows} == {"mixed", "slow", "fast"}
    for take in ("mixed", "slow", "fast"):
        spans = [(int(r["start_frame"]), int(r["end_frame"])) for r in rows if r["take"] == take]
        assert spans[0][0] == 0 and spans[-1][1] == N_FRAMES
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
        assert all(
            float(r["end_s"]) == pytest.approx(int(r["end_frame"]) / 60, abs=1e-3)
            for r in rows
            if r["take"] == take
        )
    # One label per action across takes: the slow take and the fast one differ.
    assert {row["action"] for row in rows} <= {"0", "1"}
    assert _majority(rows, "slow") != _majority(rows, "fast")
    summary = json.loads((target / "summary.json").read_text())
    assert set(summary["left_out"]) == {"broken", "short"}
    assert summary["n_actions"] == 2
    assert (target / "report.html").is_file() and (target / "figures" / "takes.png").is_file()
    # A rerun keeps the finished takes (no training) and retries the bad ones.
    code, output = invoke("segment", str(folder), "--preset", "tiny", "-o", str(target))
    assert code == 0, output
    assert "kept mixed" in output and "kept slow" in output and "left out broken" in output
    assert _rows(target)[0]["take"] in {"mixed", "slow", "fast"}


def test_takes_run_on_a_local_dask_cluster_of_two_workers(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    folder = tmp_path / "takes"
    folder.mkdir()
    write_bvh(folder / "a.bvh", N_FRAMES, 120)
    write_bvh(folder / "b.bvh", N_FRAMES, N_FRAMES)
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    code, output = invoke("segment", str(folder), "--preset", "tiny", "-o", str(serial))
    assert code == 0, output
    code, output = invoke(
        "segment", str(folder), "--preset", "tiny", "--workers", "2", "-o", str(parallel)
    )
    assert code == 0, output
    assert "2 Dask workers" in output
    # Both runs cover both takes completely. (Not asserted: equal segments. The
    # workers' Keras runs with other thread settings than this process, and a
    # tiny 40-step model's segments can flip on float round-off; the benchmark's
    # default models gave identical labels.)
    for folder_out in (serial, parallel):
        rows = _rows(folder_out)
        for take in ("a", "b"):
            spans = [
                (int(r["start_frame"]), int(r["end_frame"])) for r in rows if r["take"] == take
            ]
            assert spans[0][0] == 0 and spans[-1][1] == N_FRAMES
        stored = json.loads((folder_out / "takes" / "a" / "segments.json").read_text())
        assert stored["n_frames"] == N_FRAMES
    # The same files were converted alike in the workers.
    assert (serial / "takes" / "a" / "data.h5").read_bytes() == (
        parallel / "takes" / "a" / "data.h5"
    ).read_bytes()


def test_collection_options_and_inputs_are_checked(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    code, output = invoke("segment", str(empty), "--preset", "tiny")
    assert code == 2 and "No motion files found" in output
    code, output = invoke("segment", str(folder), "--labels", str(folder / "slow.bvh"))
    assert code == 2 and "not to a collection" in output
    code, output = invoke("segment", str(folder / "slow.bvh"), "--k", "2")
    assert code == 2 and "apply to a collection" in output
    code, output = invoke("segment", str(folder / "slow.bvh"), "--shared-model")
    assert code == 2 and "apply to a collection" in output
    code, output = invoke("segment", str(folder), "--k", "0")
    assert code == 2
    code, output = invoke(
        "segment",
        str(folder / "slow.bvh"),
        str(folder / "fast.bvh"),
        "--scheduler",
        "tcp://127.0.0.1:1",
        "-o",
        str(tmp_path / "nowhere"),
    )
    assert code == 2 and "Cannot reach the Dask scheduler" in output
    (tmp_path / "file").write_text("")
    code, output = invoke("segment", str(folder), "-o", str(tmp_path / "file"))
    assert code == 2 and "is a file" in output


def test_find_takes_names_every_take_once(tmp_path: Path) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        write_bvh(tmp_path / sub / "walk.bvh", 100, 50)
    found = find_takes([tmp_path, tmp_path / "a" / "walk.bvh"])  # one file twice: once
    assert [take.name for take in found] == ["walk", "walk-2"]
    assert all(len(take.files) == 1 for take in found)
    np.testing.assert_array_equal(sorted(t.files[0].parent.name for t in found), ["a", "b"])


def test_one_shared_model_for_all_takes(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    target = tmp_path / "shared"
    code, output = invoke(
        "segment", str(folder), "--preset", "tiny", "--shared-model", "--k", "2", "-o", str(target)
    )
    assert code == 0, output
    assert "one model for all takes" in output and "left out broken" in output
    assert (target / "shared-run" / "config.json").is_file()
    assert not (target / "takes" / "slow" / "run").exists()
    stored = json.loads((target / "takes" / "slow" / "segments.json").read_text())
    assert stored["model"] == str(target / "shared-run")
    rows = _rows(target)
    assert {row["take"] for row in rows} == {"mixed", "slow", "fast"}
    assert {row["action"] for row in rows} <= {"0", "1"}
    assert "One model was trained on all takes" in (target / "report.md").read_text()
    # The per-take results of a shared run are not taken for a per-take run's.
    code, output = invoke("segment", str(folder), "--preset", "tiny", "-o", str(target))
    assert code == 0, output
    assert "kept slow" not in output and (target / "takes" / "slow" / "run").is_dir()
