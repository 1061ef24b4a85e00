"""`mocap demo` on a tiny pretrained model: every report file, and the errors users meet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mocap_cli.app import app
from mocap_seq2seq.data.sources import trial_source
from mocap_seq2seq.model import training
from mocap_seq2seq.pretrained import export_run, read_manifest

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def pretrained(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pretrained")
    source = trial_source("01", data_dir)
    config = training.TrainConfig(
        hidden_size=8,
        source_length=20,
        target_length=10,
        batch_size=8,
        steps=10,
        checkpoint_every=5,
    )
    run = root / "runs" / "trial-01"
    training.train(config, source.frames, run, data=source.description)
    export_run(run, "trial-01", {"kind": "trial", "trial": "01"}, root)
    return root


def test_demo_writes_every_report_file(pretrained: Path, data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    code, output = invoke(
        "demo",
        "--trial",
        "01",
        "-o",
        str(out),
        "--data-dir",
        str(data_dir),
        "--pretrained-dir",
        str(pretrained),
        "--video",
    )
    assert code == 0, output
    for name in (
        "report.md",
        "report.html",
        "summary.json",
        "figures/training.png",
        "figures/channels.png",
        "figures/trial-01-segmentation.png",
        "trial-01.gif",
    ):
        assert (out / name).is_file(), name
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3  # self-contained figures
    summary = json.loads((out / "summary.json").read_text())
    rows = {(e["method"], e["features"], e["k_mode"]) for e in summary["evaluations"]}
    assert ("kernel", "decoder states", "automatic") in rows
    assert ("kernel", "raw poses", "oracle") in rows
    assert ("paper", "decoder states", "oracle") in rows
    assert "kernel / states" in output
    assert "The model: one seq2seq predictor (seed 0)." in output
    assert summary["models"]["trial 01"]["seeds"] == [0]


def test_demo_refuses_an_existing_output_but_replaces_its_own(
    pretrained: Path, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    args = ["--data-dir", str(data_dir), "--pretrained-dir", str(pretrained)]
    code, output = invoke("demo", "--trial", "01", "-o", str(out), *args)
    assert code == 2 and "--overwrite" in output
    monkeypatch.chdir(tmp_path)
    for _ in range(2):  # the default folder is the demo's own: replaced without asking
        code, output = invoke("demo", "--trial", "01", *args)
        assert code == 0, output
    assert (tmp_path / "reports" / "demo-trial-01" / "report.html").is_file()


def test_demo_trial_errors(pretrained: Path, data_dir: Path) -> None:
    args = ["--data-dir", str(data_dir), "--pretrained-dir", str(pretrained)]
    code, output = invoke("demo", "--trial", "02", *args)
    assert code == 2 and "No frames are available for '02'" in output
    code, output = invoke("demo", "--trial", "31", *args)
    assert code == 2 and "Expected one of 01, 02" in output
    code, output = invoke("demo", *args)
    assert code == 2 and "exactly one of --trial or --actions" in output
    assert list(read_manifest(pretrained)) == ["trial-01"]


def test_demo_segments_states_and_poses_together(
    pretrained: Path, data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "both"
    code, output = invoke(
        "demo",
        "--trial",
        "01",
        "-o",
        str(out),
        "--data-dir",
        str(data_dir),
        "--pretrained-dir",
        str(pretrained),
        "--features",
        "both",
    )
    assert code == 0, output
    summary = json.loads((out / "summary.json").read_text())
    rows = {(e["method"], e["features"], e["k_mode"]) for e in summary["evaluations"]}
    assert ("kernel", "states + poses", "automatic") in rows
    assert ("kernel", "states + poses", "oracle") in rows
    assert ("kernel", "raw poses", "oracle") in rows  # the baseline rows stay
    assert "kernel / states + poses" in output
