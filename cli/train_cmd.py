"""`mocap train`: train a seq2seq predictor on a trial or a case-(i) concatenation."""

from __future__ import annotations

import dataclasses
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mocap_cli.console import console
from mocap_cli.options import (
    Actions,
    DataDir,
    DataFile,
    FrameRate,
    Overwrite,
    SequenceName,
    SourceLength,
    TargetLength,
    Trial,
)
from mocap_cli.progress import train_with_progress
from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.model import training
from mocap_seq2seq.model.training import MODEL_TYPES, PRESETS
from mocap_seq2seq.units import frames_to_seconds

# The choices come from the library's registries, so a new preset or model type
# needs no change here. Both are built without importing Keras.

Preset = Enum("Preset", {name: name for name in PRESETS}, type=str)  # type: ignore[misc]
ModelType = Enum("ModelType", {name: name for name in MODEL_TYPES}, type=str)  # type: ignore[misc]


def _opt(name: str, help: str) -> typer.models.OptionInfo:
    return typer.Option(name, help=help + " \\[default: from --preset]", show_default=False)


def train(
    trial: Trial = None,
    actions: Actions = None,
    data: DataFile = None,
    sequence: SequenceName = None,
    num_actions: Annotated[
        int | None,
        typer.Option(
            "--num-actions",
            help="Case (i): draw this many distinct actions at random.",
            show_default=False,
        ),
    ] = None,
    total_num_actions: Annotated[
        int | None,
        typer.Option(
            "--total-num-actions",
            help="Case (i): total pieces; actions repeat, never back to back.",
            show_default=False,
        ),
    ] = None,
    chunk_length: Annotated[
        int | None,
        typer.Option(
            "--chunk-length",
            min=1,
            help="Case (i): a random chunk of this many frames per take instead of whole takes.",
            show_default=False,
        ),
    ] = None,
    drop_root: Annotated[
        bool, typer.Option("--drop-root", help="Case (i): remove the root-position channels.")
    ] = False,
    preset: Annotated[
        Preset, typer.Option("--preset", help="Starting hyper-parameters; options below override.")
    ] = Preset["default"],
    hidden_size: Annotated[int | None, _opt("--hidden-size", "GRU units.")] = None,
    source_length: SourceLength = None,
    target_length: TargetLength = None,
    batch_size: Annotated[int | None, _opt("--batch-size", "Windows per step.")] = None,
    steps: Annotated[int | None, _opt("--steps", "Optimisation steps.")] = None,
    learning_rate: Annotated[float | None, _opt("--learning-rate", "Adam learning rate.")] = None,
    clip_norm: Annotated[float | None, _opt("--clip-norm", "Global gradient-norm clip.")] = None,
    tied: Annotated[
        bool | None,
        typer.Option(
            "--tied/--untied",
            help="Share encoder and decoder GRU weights (the paper's choice). \\[default: tied]",
            show_default=False,
        ),
    ] = None,
    model_type: Annotated[
        ModelType | None,
        typer.Option(
            "--model-type",
            help="; ".join(f"{item.name}: {item.help}" for item in MODEL_TYPES.values())
            + ". \\[default: seq2seq]",
            show_default=False,
        ),
    ] = None,
    root_velocity: Annotated[
        bool | None,
        typer.Option(
            "--root-velocity/--root-position",
            help="Feed the root position as its frame-to-frame change, or as it is. "
            "\\[default: from --preset]",
            show_default=False,
        ),
    ] = None,
    slowness: Annotated[
        float | None,
        _opt(
            "--slowness",
            "Weight of a slow-feature term on the decoder states (0: next-pose MSE only; "
            "seq2seq model type only).",
        ),
    ] = None,
    checkpoint_every: Annotated[
        int | None, _opt("--checkpoint-every", "Steps between checkpoints and monitor scores.")
    ] = None,
    monitor: Annotated[
        bool,
        typer.Option(
            "--monitor/--no-monitor",
            help="Score how well the decoder states cluster at every checkpoint (label-free).",
        ),
    ] = True,
    keep_best: Annotated[
        bool, typer.Option("--keep-best", help="Also keep the weights with the best monitor score.")
    ] = False,
    paper_protocol: Annotated[
        bool,
        typer.Option(
            "--paper-protocol",
            help="Cut training windows inside ground-truth "
            "segments, as the paper's code (uses the labels: not leakage-free).",
        ),
    ] = False,
    seed: Annotated[
        int, typer.Option("--seed", help="Seeds weights, windows and the case-(i) concatenation.")
    ] = 0,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Run folder \\[default: runs/<trial or actions>].",
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            help="Continue the run in this folder from its last checkpoint "
            "(its own config and data; --steps may extend it).",
            show_default=False,
        ),
    ] = None,
    ensemble: Annotated[
        int | None,
        typer.Option(
            "--ensemble",
            help="Train N models (seeds --seed .. --seed + N - 1) into one run folder "
            "(member-0 .. member-<N-1>); `mocap embed` combines their states. "
            "Default: one model. The shipped pretrained models are ensembles of 3 "
            "(steadier across seeds, three times the training).",
            show_default=False,
        ),
    ] = None,
    distribute: Annotated[
        bool,
        typer.Option(
            "--distribute", help="Data-parallel training over all local devices (JAX backend only)."
        ),
    ] = False,
    overwrite: Overwrite = False,
    data_dir: DataDir = None,
    frame_rate: FrameRate = None,
) -> None:
    """Train a seq2seq predictor; its decoder states become the motion embedding.

    Examples: `mocap train --trial 01`, `mocap train --actions walking,running`,
    `mocap train --num-actions 3 --total-num-actions 6 --seed 1`,
    `mocap train --data mine.h5 --sequence take_01`, `mocap train --data h36m.h5 --actions
    walking,eating`.
    """
    from mocap_cli.backend import import_keras
    from mocap_seq2seq.data.sources import source_from_description
    from mocap_seq2seq.model.ensemble import EnsembleResult, check_n_members, member_dirs

    if ensemble is not None:
        if resume is not None:
            raise UsageError(
                "--ensemble starts a new ensemble; a resume continues the run's own.",
                fix="Drop --ensemble when resuming.",
            )
        ensemble = check_n_members(ensemble)
    if resume is not None:
        stored = training.read_run_config(member_dirs(resume)[0])
        source = source_from_description(stored.data, data_dir, frame_rate=frame_rate)
        config = stored.config if steps is None else stored.config.replace(steps=steps)
        monitor = stored.monitor  # a --no-monitor run stays without it
        run_dir = resume
    else:
        config = training.configure(
            preset.value,
            monitor=monitor,
            seed=seed,
            keep_best=keep_best,
            paper_protocol=paper_protocol,
            hidden_size=hidden_size,
            source_length=source_length,
            target_length=target_length,
            batch_size=batch_size,
            steps=steps,
            learning_rate=learning_rate,
            clip_norm=clip_norm,
            tied=tied,
            model_type=model_type.value if model_type else None,
            checkpoint_every=checkpoint_every,
            root_velocity=root_velocity,
            slowness=slowness,
        )
        from mocap_cli.sources import select_source

        source = select_source(
            trial=trial,
            actions=actions,
            num_actions=num_actions,
            total_num_actions=total_num_actions,
            chunk_length=chunk_length,
            drop_root=drop_root,
            seed=seed,
            data_dir=data_dir,
            data=data,
            sequence=sequence,
            frame_rate=frame_rate,
        )
        run_dir = output if output is not None else Path("runs") / _default_run_name(source)

    import_keras()  # after the arguments are known good: a usage error comes at once
    if distribute:
        from mocap_seq2seq.model.distribution import enable_data_parallel

        enable_data_parallel()
    segment_bounds = source.segment_bounds if config.paper_protocol else None
    monitor_fn = None
    if monitor:
        from mocap_seq2seq.monitor import make_monitor

        monitor_fn = make_monitor()
    if resume is None:  # refused before the plan and the progress bar are drawn
        from mocap_seq2seq.model.windows import check_window

        check_window(source.frames.shape[0], config.source_length, config.target_length)
    _print_plan(source, config, run_dir, resume is not None)
    result = train_with_progress(
        config,
        source,
        run_dir,
        segment_bounds,
        monitor_fn,
        resume is not None,
        overwrite,
        n_members=ensemble,
    )
    console.print(
        f"[green]Done[/] in {result.seconds:.0f} s: final loss {result.final_loss:.4f}. "
        f"Run folder: [bold]{escape(str(result.run_dir))}[/]"
    )
    if isinstance(result, EnsembleResult):
        console.print(f"{len(result.members)} members; `mocap embed` combines their states.")
        return
    if result.history.get("forecast_ratio"):
        ratio = result.history["forecast_ratio"][-1]
        verdict = "better" if ratio < 1 else "[red]worse[/]"
        console.print(
            f"Forecast error / zero-velocity baseline: {ratio:.3f} ({verdict} than repeating "
            "the last pose)."
        )
    if result.best_step is not None:
        console.print(f"Best monitor score {result.best_monitor:.3f} at step {result.best_step}.")


def _default_run_name(source: object) -> str:
    description = source.description  # type: ignore[attr-defined]
    if description["kind"] == "trial":
        return f"trial-{description['trial']}"
    if description["kind"] == "file":
        stem = Path(description["data_file"]).stem
        return f"{stem}-{description['sequence']}".replace("/", "_")
    names = description["recipe"]["action_names"]
    return "actions-" + "-".join(names) + f"-seed{description['recipe']['seed']}"


def _print_plan(source: object, config: object, run_dir: Path, resuming: bool) -> None:
    values = dataclasses.asdict(config)  # type: ignore[call-overload]
    frames = source.frames  # type: ignore[attr-defined]
    name = escape(source.name)  # type: ignore[attr-defined]
    rate = source.frame_rate  # type: ignore[attr-defined]
    seconds = f"; {frames_to_seconds(frames.shape[0], rate):,.1f} s at {rate:g} fps" if rate else ""
    console.print(
        f"{'Resuming' if resuming else 'Training'} on [bold]{name}[/] "
        f"({frames.shape[0]:,} frames x {frames.shape[1]} channels{seconds}) "
        f"-> {escape(str(run_dir))}"
    )
    shown = (
        "model_type",
        "hidden_size",
        "source_length",
        "target_length",
        "batch_size",
        "steps",
        "learning_rate",
        "tied",
    )
    console.print("  " + ", ".join(f"{key}={values[key]}" for key in shown), highlight=False)
    if values["paper_protocol"]:
        console.print(
            "  [yellow]paper protocol: windows cut inside ground-truth segments "
            "(uses the labels)[/]"
        )
