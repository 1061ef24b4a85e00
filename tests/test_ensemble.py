"""Seed ensembles: one run folder of N models, resumed after a stop, embedded as one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mocap_cli.app import app
from mocap_seq2seq.combination import member_agreement, scaled_concatenation
from mocap_seq2seq.data.sources import trial_source
from mocap_seq2seq.data.synthetic import piecewise_motion
from mocap_seq2seq.embedding import embed_run, read_embedding, write_embedding
from mocap_seq2seq.errors import ModelFileError, TrainingInterruptedError, UsageError
from mocap_seq2seq.model import ensemble, training
from mocap_seq2seq.pipeline import Job, compare_collection
from mocap_seq2seq.segment.metrics import adjusted_rand
from mocap_seq2seq.segment.segmentation import KernelSegmenter

CONFIG = training.configure("tiny", hidden_size=16, source_length=10, target_length=5, seed=7)


@pytest.fixture(scope="module")
def motion():  # type: ignore[no-untyped-def]
    return piecewise_motion(n_frames=400, n_channels=6, seed=0)


def _stop_at(member_index: int, step: int):  # type: ignore[no-untyped-def]
    """A progress callback that presses Ctrl-C at ``step`` of member ``member_index``."""
    seen: list[int] = []

    def on_member(index: int, _total: int, _folder: Path) -> None:
        seen.append(index)

    def progress(report) -> None:  # type: ignore[no-untyped-def]
        if seen and seen[-1] == member_index and report.step == step:
            raise KeyboardInterrupt

    return on_member, progress


def test_interrupted_ensemble_resumes_and_embeds(motion, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "ensemble"
    on_member, progress = _stop_at(1, 30)
    with pytest.raises(TrainingInterruptedError):
        ensemble.train_ensemble(
            CONFIG, motion.frames, run, 2, on_member=on_member, progress=progress
        )
    assert json.loads((run / "ensemble.json").read_text())["seeds"] == [7, 8]
    first_weights = run / "member-0" / training.WEIGHTS_FILE
    assert first_weights.is_file()
    assert not (run / "member-1" / training.WEIGHTS_FILE).is_file()
    assert json.loads((run / "member-1" / "checkpoint.json").read_text())["step"] == 20

    # Half trained: embedding it is refused with the command that finishes it.
    with pytest.raises(ModelFileError, match="not finished.*mocap train --resume"):
        embed_run(run, motion.frames)

    stamp = first_weights.stat().st_mtime_ns
    result = ensemble.train_ensemble(CONFIG, motion.frames, run, 2, resume=True)
    assert first_weights.stat().st_mtime_ns == stamp  # the finished member is kept as it was
    assert len(result.members) == 2
    resumed = json.loads((run / "member-1" / "history.json").read_text())
    assert resumed["step"] == [20, 40]
    assert training.read_run_config(run / "member-1").config.seed == 8

    longer = ensemble.train_ensemble(CONFIG.replace(steps=60), motion.frames, run, 2, resume=True)
    assert [member.steps for member in longer.members] == [60, 60]  # --steps extends them all

    embedding = embed_run(run, motion.frames)
    assert embedding.states.shape == (400, 2 * CONFIG.hidden_size)
    assert embedding.agreement is not None and embedding.agreement.shape == (400,)
    assert 0.0 <= embedding.agreement.min() <= embedding.agreement.max() <= 1.0
    assert embedding.metadata["ensemble"]["seeds"] == [7, 8]
    path = write_embedding(tmp_path / "embedding.h5", embedding)
    again = read_embedding(path)
    np.testing.assert_array_equal(again.agreement, embedding.agreement)
    assert again.metadata["ensemble"]["n_members"] == 2


def test_a_plain_run_embeds_as_before(motion, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = training.train(CONFIG, motion.frames, tmp_path / "single").run_dir
    embedding = embed_run(run, motion.frames)
    assert embedding.states.shape == (400, CONFIG.hidden_size) and embedding.agreement is None
    assert ensemble.member_dirs(run) == [run]


def test_bad_member_counts_are_refused(motion, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for bad in (0, -1, ensemble.MAX_MEMBERS + 1):
        with pytest.raises(UsageError, match="--ensemble"):
            ensemble.train_ensemble(CONFIG, motion.frames, tmp_path / "bad", bad)
    assert not (tmp_path / "bad").exists()


def test_scaled_concatenation_gives_every_member_one_total_variance() -> None:
    rng = np.random.default_rng(0)
    small, large = rng.normal(size=(300, 4)), 50 * rng.normal(size=(300, 8))
    combined = scaled_concatenation([small, large])
    assert combined.shape == (300, 12)
    for part in (combined[:, :4], combined[:, 4:]):
        assert np.sum(np.var(part, axis=0)) == pytest.approx(1.0, rel=1e-4)


def test_agreement_is_one_for_one_geometry_and_low_for_unrelated_members() -> None:
    rng = np.random.default_rng(1)
    states = np.cumsum(rng.normal(size=(600, 8)), axis=0)
    rotation, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    same = member_agreement([states, 2.0 * states @ rotation], exclude=5)
    assert same.min() == pytest.approx(1.0)
    unrelated = member_agreement([states, rng.normal(size=(600, 8))], exclude=5)
    assert unrelated.mean() < 0.2


def test_mean_kernel_segments_members_and_refuses_bad_groups() -> None:
    motion = piecewise_motion(n_frames=600, seed=0)
    frames = motion.frames
    noisy = frames + np.random.default_rng(2).normal(scale=0.5, size=frames.shape)
    both = np.hstack([frames, 100 * noisy])
    width = frames.shape[1]
    model = KernelSegmenter(
        n_clusters=3, n_segments=6, step=5, min_segment_length=20, feature_groups=(width, width)
    )
    assert adjusted_rand(motion.labels, model.fit_predict(both)) > 0.9
    with pytest.raises(UsageError, match="feature_groups"):
        KernelSegmenter(feature_groups=(width, width + 1)).fit(both)


# ----------------------------------------------------------------------------- command line

runner = CliRunner()
SMALL = [
    "--hidden-size",
    "16",
    "--source-length",
    "20",
    "--target-length",
    "10",
    "--batch-size",
    "8",
    "--checkpoint-every",
    "5",
    "--no-monitor",
]


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_cli_ensemble_trains_embeds_and_clusters(data_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "ens"
    common = ["--data-dir", str(data_dir)]
    code, output = invoke(
        "train", "--trial", "01", "--steps", "5", "--ensemble", "2", "-o", str(run), *SMALL, *common
    )
    assert code == 0, output
    assert "2 members" in output
    assert sorted(path.name for path in run.iterdir() if path.is_dir()) == ["member-0", "member-1"]
    code, output = invoke("embed", str(run), *common)
    assert code == 0, output
    embedding = read_embedding(run / "embedding.h5")
    assert embedding.states.shape[1] == 32
    assert embedding.agreement is not None
    assert np.all((embedding.agreement >= 0) & (embedding.agreement <= 1))
    code, output = invoke("cluster", str(run / "embedding.h5"), "--k", "oracle")
    assert code == 0, output
    clustering = next(path for path in run.iterdir() if path.name.startswith("clustering-"))
    code, output = invoke("evaluate", str(clustering))
    assert code == 0, output
    assert (clustering / "evaluation.json").is_file()

    # The reports' comparison (demo) takes an ensemble folder as it takes one model.
    (comparison,) = compare_collection([Job("trial 01", trial_source("01", data_dir), run)])
    assert comparison.automatic.embedding.states.shape[1] == 32
    assert comparison.automatic.embedding.agreement is not None
    assert len(comparison.others) == 4


def test_cli_refuses_bad_ensembles_in_one_line(data_dir: Path, tmp_path: Path) -> None:
    code, output = invoke(
        "train",
        "--trial",
        "01",
        "--ensemble",
        "0",
        "-o",
        str(tmp_path / "x"),
        "--data-dir",
        str(data_dir),
    )
    assert code == 2
    assert output.count("\n") == 1 and output.startswith("Error: The 'ensemble'")
    assert "Traceback" not in output

    run = tmp_path / "half"
    code, output = invoke(
        "train",
        "--trial",
        "01",
        "--steps",
        "5",
        "--ensemble",
        "2",
        "-o",
        str(run),
        *SMALL,
        "--data-dir",
        str(data_dir),
    )
    assert code == 0, output
    (run / "member-1" / training.WEIGHTS_FILE).unlink()  # as if stopped after its checkpoint
    code, output = invoke("embed", str(run), "--data-dir", str(data_dir))
    assert code == 1
    assert output.startswith("Error: The ensemble") and "mocap train --resume" in output
    assert "Traceback" not in output
    code, output = invoke("train", "--resume", str(run), "--data-dir", str(data_dir))
    assert code == 0, output
    code, output = invoke("embed", str(run), "--data-dir", str(data_dir))
    assert code == 0, output


def test_demo_reports_an_exported_ensemble(data_dir: Path, tmp_path: Path) -> None:
    from mocap_seq2seq.pretrained import export_run, read_manifest

    source = trial_source("01", data_dir)
    config = training.TrainConfig(
        hidden_size=8, source_length=20, target_length=10, batch_size=8, steps=5, checkpoint_every=5
    )
    run = tmp_path / "runs" / "trial-01"
    ensemble.train_ensemble(config, source.frames, run, 2, data=source.description)
    root = tmp_path / "pretrained"
    root.mkdir()
    # A single model exported first (the shipped form before issue 19), then replaced.
    export_run(run / "member-0", "trial-01", {"kind": "trial", "trial": "01"}, root)
    assert (root / "trial-01" / "model.weights.h5").is_file()
    export_run(run, "trial-01", {"kind": "trial", "trial": "01"}, root)
    assert (root / "trial-01" / "ensemble.json").is_file()
    assert (root / "trial-01" / "member-1" / "model.weights.h5").is_file()
    assert sorted(path.name for path in (root / "trial-01").iterdir()) == [
        "ensemble.json",
        "member-0",
        "member-1",
    ]  # nothing of the single model left behind
    assert sorted(path.name for path in root.iterdir()) == ["manifest.json", "trial-01"]
    sizes = sum((run / f"member-{i}" / "model.weights.h5").stat().st_size for i in (0, 1))
    entry = read_manifest(root)["trial-01"]
    assert entry["weights_bytes"] == sizes
    files = [path for path in (root / "trial-01").rglob("*") if path.is_file()]
    assert len(files) == 9 and entry["total_bytes"] == sum(f.stat().st_size for f in files)
    out = tmp_path / "report"
    code, output = invoke(
        "demo", "--trial", "01", "-o", str(out), "--data-dir", str(data_dir),
        "--pretrained-dir", str(root),
    )  # fmt: skip
    assert code == 0, output
    said = "The model: a seed ensemble of 2 seq2seq predictors (seeds 0, 1; their decoder"
    assert said in " ".join(output.split())
    assert said in (out / "report.md").read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert ("kernel", "decoder states", "automatic") in {
        (e["method"], e["features"], e["k_mode"]) for e in summary["evaluations"]
    }
    assert summary["models"]["trial 01"]["seeds"] == [0, 1]
    # The members' training curves and the channels are drawn, as for one model.
    assert (out / "figures" / "training.png").is_file()
    assert (out / "figures" / "channels.png").is_file()
