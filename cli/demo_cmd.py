"""`mocap demo`: the paper's result on a pretrained model, explained with figures."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from mocap_cli.console import console, line, show_and_write
from mocap_cli.options import DEFAULT_FEATURE_SET, Actions, DataDir, Features, Overwrite

PretrainedDir = Annotated[
    Path | None,
    typer.Option(
        "--pretrained-dir",
        help="Folder of pretrained models \\[default: "
        "$MOCAP_PRETRAINED_DIR, else the clone's pretrained/].",
        show_default=False,
    ),
]


def demo(
    trial: Annotated[
        str | None,
        typer.Option(
            "--trial", help="Subject-86 trial (01, 03, ...) or 'all'.", show_default=False
        ),
    ] = None,
    actions: Actions = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the --actions concatenation.")] = 0,
    video: Annotated[
        bool,
        typer.Option(
            "--video",
            help="Also write an animation (GIF; MP4 where ffmpeg "
            "exists): the moving skeleton (case i) or the channels (subject 86) "
            "over the predicted and true action bars.",
        ),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Report folder \\[default: reports/demo-<what>; the "
            "demo replaces its own default folder].",
            show_default=False,
        ),
    ] = None,
    features: Features = DEFAULT_FEATURE_SET,
    overwrite: Overwrite = False,
    data_dir: DataDir = None,
    pretrained_dir: PretrainedDir = None,
) -> None:
    """Segment a trial (or a case-(i) concatenation) with a pretrained model and report.

    Embeds the sequence with the pretrained seq2seq, clusters the decoder states with the
    toolkit's default segmenter (automatic and oracle K) and the paper's method, compares with
    the same segmenter on the raw poses, and writes Markdown + HTML with figures.
    """
    started = time.monotonic()
    from mocap_seq2seq.data.store import normalize_trial
    from mocap_seq2seq.errors import OutputExistsError, UsageError
    from mocap_seq2seq.pretrained import demo_jobs

    title, jobs = demo_jobs(
        trial=trial, actions=actions, seed=seed, data_dir=data_dir, pretrained_dir=pretrained_dir
    )
    # --trial 1 and --trial 01 are one trial: one report folder.
    default = Path("reports") / (
        "demo-" + ("trial-" + normalize_trial(trial) if trial else "actions")
    )
    target = output if output is not None else default
    if target.exists() and not target.is_dir():
        raise UsageError(f"'{target}' is a file, not a folder.", fix="Pass another --output.")
    if output is not None and target.exists() and any(target.iterdir()) and not overwrite:
        raise OutputExistsError(f"'{target}' already exists.", fix="Pass --overwrite.")
    from mocap_cli.backend import import_keras

    import_keras()
    from mocap_cli.progress import window_progress
    from mocap_seq2seq.pipeline import demo_report, models_line

    console.print(models_line(jobs), highlight=False, markup=False, soft_wrap=True)

    found = demo_report(
        jobs,
        title=title,
        animation_folder=target if video else None,
        progress=window_progress,
        features=features.value,
    )
    show_and_write(found, target)
    console.print(
        line(
            ("Report", "green"),
            f" {target / 'report.html'} (and report.md, figures/) "
            f"in {time.monotonic() - started:.0f} s.",
        ),
        soft_wrap=True,
    )
