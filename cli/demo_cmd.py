"""`mocap demo`: the paper's result on a pretrained model, explained with figures."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from mocap_cli.console import console
from mocap_cli.options import Actions, DataDir, Overwrite

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
    from mocap_seq2seq.errors import OutputExistsError, UsageError

    if (trial is None) == (actions is None):
        raise UsageError(
            "Say what to segment with exactly one of --trial or --actions.",
            fix="For example `mocap demo --trial 01` or `mocap demo --actions walking,running`.",
        )
    from mocap_seq2seq.data.store import normalize_trial

    # --trial 1 and --trial 01 are one trial: one report folder.
    default = Path("reports") / (
        "demo-" + ("trial-" + normalize_trial(trial) if trial else "actions")
    )
    target = output if output is not None else default
    if target.exists() and not target.is_dir():
        raise UsageError(f"'{target}' is a file, not a folder.", fix="Pass another --output.")
    if output is not None and target.exists() and any(target.iterdir()) and not overwrite:
        raise OutputExistsError(f"'{target}' already exists.", fix="Pass --overwrite.")
    jobs = _jobs(trial, actions, seed, data_dir, pretrained_dir)
    from mocap_cli.backend import import_keras

    keras = import_keras()

    from mocap_cli.reporting import report_sequence
    from mocap_seq2seq.model.training import load_run
    from mocap_seq2seq.report.render import evaluation_markdown, evaluation_table, write_html_report

    evaluations, figures, captions, notes = [], {}, {}, []
    for name, source, folder in jobs:
        model, normalization, _ = load_run(folder)
        found = report_sequence(
            name,
            source,
            model,
            normalization,
            run_folder=folder if len(jobs) == 1 else None,
            video=video,
            target=target,
        )
        evaluations += found.evaluations
        figures.update(found.figures)
        captions.update(found.captions)
        notes += [note for note in found.notes if note not in notes]
    title = "mocap-seq2seq demo: " + (f"trial {trial}" if trial else f"actions {actions}")
    table = evaluation_table(evaluations, title=title)
    console.print(table)
    paragraphs = [
        "Decoder states of a pretrained seq2seq predictor, segmented without labels "
        "(leakage-free: the labels are used only to score). 'automatic K': the segmenter chose "
        "the numbers of actions and segments itself; 'oracle K': it was told both. The last "
        "rows run the same segmenter on the raw normalised poses, for comparison.",
        f"Backend: {keras.backend.backend()}, Keras {keras.__version__}.",
        *notes,
    ]
    summary = {"evaluations": [evaluation.to_dict() for evaluation in evaluations]}
    write_html_report(
        target,
        title=title,
        paragraphs=paragraphs,
        tables=[table],
        markdown_tables=[evaluation_markdown(evaluations, title)],
        figures=figures,
        captions=captions,
        summary=summary,
    )
    console.print(
        f"[green]Report[/] {target / 'report.html'} (and report.md, figures/) "
        f"in {time.monotonic() - started:.0f} s."
    )


def _jobs(
    trial: str | None,
    actions: str | None,
    seed: int,
    data_dir: Path | None,
    pretrained_dir: Path | None,
) -> list[tuple[str, Any, Path]]:
    from mocap_cli.sources import select_source
    from mocap_seq2seq.data.store import catalogue, normalize_trial
    from mocap_seq2seq.pretrained import (
        ACTIONS_MODEL,
        TRIALS_WITHOUT_FRAMES,
        pretrained_folder,
        trial_model_name,
    )

    if trial is not None:
        if trial.strip().lower() == "all":
            trials = [
                name for name, entry in catalogue(data_dir).trials.items() if entry["has_frames"]
            ]
        else:
            trials = [normalize_trial(trial)]
        jobs = []
        for name in trials:
            if name in TRIALS_WITHOUT_FRAMES:
                select_source(trial=name, actions=None, data_dir=data_dir)  # says why
            source = select_source(trial=name, actions=None, data_dir=data_dir)
            jobs.append(
                (f"trial {name}", source, pretrained_folder(trial_model_name(name), pretrained_dir))
            )
        return jobs
    from mocap_seq2seq.data.concatenation import parse_actions

    names = parse_actions(actions or "", catalogue(data_dir).actions)
    source = select_source(
        trial=None,
        actions=",".join(names),
        seed=seed,
        data_dir=data_dir,
        total_num_actions=2 * len(names) if len(names) > 1 else None,
    )
    return [(source.name, source, pretrained_folder(ACTIONS_MODEL, pretrained_dir))]
