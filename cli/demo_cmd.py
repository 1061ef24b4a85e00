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
    default = Path("reports") / ("demo-" + ("trial-" + trial if trial else "actions"))
    target = output if output is not None else default
    if target.exists() and not target.is_dir():
        raise UsageError(f"'{target}' is a file, not a folder.", fix="Pass another --output.")
    if output is not None and target.exists() and any(target.iterdir()) and not overwrite:
        raise OutputExistsError(f"'{target}' already exists.", fix="Pass --overwrite.")
    jobs = _jobs(trial, actions, seed, data_dir, pretrained_dir)
    from mocap_cli.backend import import_keras

    keras = import_keras()

    from mocap_seq2seq.reports import evaluation_markdown, evaluation_table, write_html_report

    evaluations, figures, captions, notes = [], {}, {}, []
    for name, source, folder in jobs:
        results, extra_figures, extra_captions, note = _run_one(
            name, source, folder, video=video, target=target, single=len(jobs) == 1
        )
        evaluations += results
        figures.update(extra_figures)
        captions.update(extra_captions)
        if note and note not in notes:
            notes.append(note)
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

    from mocap_seq2seq.pretrained import (
        ACTIONS_MODEL,
        TRIALS_WITHOUT_FRAMES,
        pretrained_folder,
        trial_model_name,
    )
    from mocap_seq2seq.store import catalogue, normalize_trial

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
    from mocap_seq2seq.concatenation import parse_actions

    names = parse_actions(actions or "", catalogue(data_dir).actions)
    source = select_source(
        trial=None,
        actions=",".join(names),
        seed=seed,
        data_dir=data_dir,
        total_num_actions=2 * len(names) if len(names) > 1 else None,
    )
    return [(source.name, source, pretrained_folder(ACTIONS_MODEL, pretrained_dir))]


def _run_one(
    name: str, source: Any, folder: Path, *, video: bool, target: Path, single: bool
) -> tuple[list, dict, dict, str]:
    import json

    import numpy as np
    from mocap_cli.progress import window_progress

    from mocap_seq2seq.embedding import Embedding
    from mocap_seq2seq.pipeline import embed_and_segment, segment_embedding
    from mocap_seq2seq.plots import channel_heatmap, figure_to_png_bytes, training_curves
    from mocap_seq2seq.reports import evaluation_png
    from mocap_seq2seq.training import load_run

    model, normalization, stored = load_run(folder)
    with window_progress(f"embedding {name}") as report:
        automatic = embed_and_segment(model, normalization, source, progress=report)
    embedding = automatic.embedding
    oracle = segment_embedding(embedding, oracle=True, sequence=source.name)
    paper = segment_embedding(embedding, method="paper", oracle=True, sequence=source.name)
    raw = Embedding(
        states=normalization.transform(source.frames),
        filled=np.zeros(embedding.n_frames, bool),
        pca=embedding.pca,
        labels=embedding.labels,
        action_names=embedding.action_names,
        tolerance_windows=embedding.tolerance_windows,
    )
    raw_results = [
        segment_embedding(raw, oracle=flag, sequence=source.name) for flag in (False, True)
    ]
    evaluations = [result.evaluation for result in (automatic, oracle, paper)]
    evaluations += [
        type(result.evaluation)(**{**result.evaluation.to_dict(), "features": "raw poses"})
        for result in raw_results
    ]
    stem = name.replace(" ", "-").replace("+", "_")[:60]
    figures = {
        f"{stem}-segmentation": evaluation_png(
            source.labels,
            automatic.frame_labels,
            embedding.pca,
            action_names=source.action_names,
            frame_rate=source.frame_rate,
            title=f"{name}: kernel segmenter on decoder states, automatic K",
        )
    }
    captions = {
        f"{stem}-segmentation": f"{name}: true vs predicted actions (automatic K), and "
        "the decoder states' first 3 principal components coloured by true and by "
        "predicted action."
    }
    note = ""
    if single and (folder / "history.json").is_file():
        history = json.loads((folder / "history.json").read_text())
        curves = {
            key: history[key]
            for key in ("step", "loss", "forecast_ratio", "monitor")
            if history.get(key)
            and len(history[key]) == len(history["step"])
            and any(value is not None for value in history[key])
        }
        figures["training"] = figure_to_png_bytes(training_curves(curves, title="training"))
        captions["training"] = (
            "Training loss, forecast error relative to repeating the last "
            "pose (below 1 = better), and the label-free monitor score."
        )
        if source.frames.shape[1] == 96:
            figures["channels"] = figure_to_png_bytes(
                channel_heatmap(
                    source.frames,
                    source.labels,
                    names=source.action_names,
                    frame_rate=source.frame_rate,
                    title=f"{name}: the 96 exp-map channels",
                )
            )
            captions["channels"] = "The motion as it is: every channel over time."
            note = (
                "Subject 86's files come without their skeleton (bone offsets), so the "
                "motion is shown as its channels over time rather than as a moving figure."
            )
    if video:
        path = _write_video(source, automatic.frame_labels, target, stem)
        note = (note + " " if note else "") + f"Animation: {path.name} in the report folder."
    return evaluations, figures, captions, note


def _write_video(source: Any, labels_pred: Any, target: Path, stem: str) -> Path:
    import matplotlib.animation

    from mocap_seq2seq.atomic import atomic_path
    from mocap_seq2seq.plots import save_animation, skeleton_animation

    suffix = ".mp4" if matplotlib.animation.writers.is_available("ffmpeg") else ".gif"
    path = target / f"{stem}{suffix}"
    with console.status(f"Rendering {path.name}..."):
        if source.frames.shape[1] in (114, 117):
            from mocap_seq2seq.skeleton import cmu38_skeleton, forward_kinematics

            skeleton = cmu38_skeleton()
            frames = source.frames
            if frames.shape[1] == 114:  # root channels dropped: put them back at zero
                import numpy as np

                frames = np.concatenate([np.zeros((len(frames), 3), frames.dtype), frames], 1)
            positions = forward_kinematics(skeleton, frames)
            animation = skeleton_animation(
                positions,
                skeleton.parents,
                labels_true=source.labels,
                labels_pred=labels_pred,
                names=source.action_names,
                title=source.name,
            )
        else:
            from mocap_seq2seq.plots import channel_animation

            animation = channel_animation(
                source.frames,
                labels_true=source.labels,
                labels_pred=labels_pred,
                names=source.action_names,
                frame_rate=source.frame_rate,
                title=source.name,
            )
        target.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary:
            save_animation(animation, temporary, dpi=60)
    console.print(f"[green]Wrote[/] {path}")
    return path
