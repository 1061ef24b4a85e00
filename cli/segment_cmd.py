"""`mocap segment`: your own capture from file to report in one command."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from mocap_cli import interrupt
from mocap_cli.console import console, line, show_and_write
from mocap_cli.options import (
    DEFAULT_FEATURE_SET,
    FEATURES_HELP,
    AsfFile,
    FeatureSet,
    FrameRate,
    LabelsFile,
    Overwrite,
    Seed,
    SequenceName,
    SourceLength,
    TargetLength,
)
from mocap_cli.train_cmd import Preset
from mocap_seq2seq.errors import TrainingInterruptedError


@contextmanager
def _removed_on_failure(folder: Path, *, keep_if: Path) -> Iterator[None]:
    """Remove ``folder`` if this block made it and fails, unless ``keep_if`` exists by then.

    Bad input found after the folder was made (a malformed file, a capture too short
    for the window) leaves nothing behind; an interrupted training keeps its
    checkpoint so that a rerun resumes.
    """
    created = not folder.exists()
    try:
        yield
    except BaseException:
        if created and folder.is_dir() and not keep_if.is_file():
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _interrupted(run_dir: Path, target: Path) -> TrainingInterruptedError:
    """What an interrupted training of `mocap segment` left, said for `mocap segment`.

    The training's own message sends the user to `mocap train --resume RUN`; here
    the run folder goes away with the output folder when no checkpoint was
    written (see :func:`_removed_on_failure`), and a rerun of the same command is
    what resumes.
    """
    from mocap_seq2seq.model.run_folder import checkpoint_step

    step = checkpoint_step(run_dir) if (run_dir / "checkpoint.json").is_file() else None
    if step is None:
        return TrainingInterruptedError(
            "Training interrupted before its first checkpoint; nothing was kept.",
            fix="Run the same `mocap segment` command again to start over.",
        )
    return TrainingInterruptedError(
        f"Training interrupted; the checkpoint of step {step} is kept in '{run_dir}'.",
        fix="Run the same `mocap segment` command again to resume from it.",
    )


def segment(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="A file written by `mocap convert` (.h5), or what `mocap convert` reads: "
            "a BVH file, AMC file(s) with their ASF, Human3.6M .txt files.",
            metavar="FILE",
            show_default=False,
        ),
    ],
    sequence: SequenceName = None,
    labels: LabelsFile = None,
    asf: AsfFile = None,
    frame_rate: FrameRate = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Report folder \\[default: reports/segment-<file name>]. Holds data.h5 (when "
            "converted), run/, embedding.h5, clustering/ and report.html.",
            show_default=False,
        ),
    ] = None,
    preset: Annotated[
        Preset,
        typer.Option(
            "--preset", help="Training preset (see `mocap train --help`; tiny: a quick smoke run)."
        ),
    ] = Preset["default"],
    steps: Annotated[
        int | None,
        typer.Option("--steps", help="Training steps \\[default: the preset's].", min=1),
    ] = None,
    source_length: SourceLength = None,
    target_length: TargetLength = None,
    seed: Seed = 0,
    video: Annotated[
        bool,
        typer.Option("--video", help="Also animate the skeleton over the action bars."),
    ] = False,
    features: Annotated[
        FeatureSet | None,
        typer.Option(
            "--features",
            help=FEATURES_HELP[:-1]
            + " \\[default: "
            + DEFAULT_FEATURE_SET.value
            + "; a collection compares states within takes and poses across].",
            show_default=False,
        ),
    ] = None,
    overwrite: Overwrite = False,
    k: Annotated[
        int | None,
        typer.Option(
            "--k",
            help="Collections: the number of actions across takes \\[default: chosen].",
            min=1,
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            help="Collections: takes at once, on a local Dask cluster of this many "
            "worker processes (the optional extra 'distributed').",
            min=1,
        ),
    ] = 1,
    shared_model: Annotated[
        bool,
        typer.Option(
            "--shared-model",
            help="Collections: one model trained on all takes instead of one a take "
            "(measured worse on subject 86; its states then also compare takes).",
        ),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Collections: address of a running Dask scheduler (tcp://host:8786) "
            "to run the takes on.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Convert, train, embed, cluster and report, for a capture of your own or a collection.

    Rerunning after an interruption resumes the training from its last checkpoint.
    Examples: `mocap segment walk.bvh`, `mocap segment walk.bvh --labels walk.csv --video`,
    `mocap segment 86.asf 86_02.amc --frame-rate 120`, `mocap segment mine.h5 --sequence take2`.

    A folder, several motion files, or a converted file of several sequences is a
    collection: every take is trained, embedded and segmented on its own, then the
    segments of all takes are clustered together so that one action has one number
    in every take (segments.csv, a table of actions by take, report.html). A rerun
    skips finished takes; a bad take is reported and left out.
    Examples: `mocap segment my_takes/`, `mocap segment a.bvh b.bvh c.bvh --workers 2`.
    """
    started = time.monotonic()
    from mocap_seq2seq.errors import OutputExistsError, UsageError

    missing = [path for path in sources if not path.exists()]
    if missing:  # one line, as `mocap convert` says it (not Typer's framed usage error)
        raise UsageError(f"'{missing[0]}' does not exist.", "existing motion files")
    from mocap_cli.collection import is_collection, segment_collection
    from mocap_seq2seq.model import training

    # The options are checked before anything is read or converted.
    config = training.configure(
        preset.value,
        seed=seed,
        steps=steps,
        source_length=source_length,
        target_length=target_length,
    )
    if is_collection(sources, sequence):
        if labels is not None or video or features is not None:
            raise UsageError(
                "--labels, --video and --features apply to one capture, not to a collection "
                "of takes (it compares states within takes and poses across).",
                fix="Segment one take at a time for those, or drop them.",
            )
        segment_collection(
            sources,
            output,
            config,
            n_actions=k,
            frame_rate=frame_rate,
            overwrite=overwrite,
            workers=workers,
            scheduler=scheduler,
            shared_model=shared_model,
        )
        return
    if k is not None or workers != 1 or scheduler is not None or shared_model:
        raise UsageError(
            "--k, --workers, --scheduler and --shared-model apply to a collection of takes "
            "(a folder, several files); this is one capture.",
            fix="Drop them, or pass a folder of takes.",
        )
    is_h5 = len(sources) == 1 and sources[0].suffix.lower() in (".h5", ".hdf5")
    if is_h5 and (labels is not None or asf is not None):
        raise UsageError(
            "--labels and --asf apply when converting; this file is converted.",
            fix="Pass the motion file itself, or convert it again with `mocap convert`.",
        )
    stem = sources[0].stem if sources[0].suffix.lower() != ".asf" else sources[-1].stem
    target = output if output is not None else Path("reports") / f"segment-{stem}"
    if target.exists() and not target.is_dir():
        raise UsageError(f"'{target}' is a file, not a folder.", fix="Pass another --output.")
    run_dir = target / "run"
    finished = (target / "report.html").is_file()
    if finished and not overwrite:
        raise OutputExistsError(f"'{target}' already holds a report.", fix="Pass --overwrite.")
    resume = not overwrite and (run_dir / "checkpoint.json").is_file()
    with _removed_on_failure(target, keep_if=run_dir / "checkpoint.json"):
        from mocap_seq2seq.data.sources import file_source

        if is_h5:
            data = sources[0]
        else:
            from mocap_seq2seq.data.importers import import_motion

            data = target / "data.h5"
            target.mkdir(parents=True, exist_ok=True)
            with console.status("Converting...") as status:
                import_motion(
                    sources,
                    data,
                    asf=asf,
                    labels=labels,
                    frame_rate=frame_rate,
                    overwrite=True,  # deterministic: the same input gives the same bytes
                    progress=lambda name: status.update(line(f"Reading {name}")),
                )
            console.print(line(("Converted", "green"), f" into {data}"), soft_wrap=True)
        # A converted file may store no rate (written before rates were required).
        source = file_source(data, sequence, frame_rate=frame_rate if is_h5 else None)
        from mocap_seq2seq.units import require_frame_rate

        require_frame_rate(source.frame_rate, f"'{source.name}' in '{data.name}'")

        from mocap_cli.backend import import_keras
        from mocap_seq2seq.model.windows import check_window

        check_window(source.frames.shape[0], config.source_length, config.target_length)
        import_keras()
        from mocap_cli.progress import train_with_progress
        from mocap_seq2seq.monitor import make_monitor

        console.print(
            line(
                f"{'Resuming' if resume else 'Training'} on ",
                (source.name, "bold"),
                f" ({source.frames.shape[0]:,} frames x {source.frames.shape[1]} channels) "
                f"-> {run_dir}",
            ),
            soft_wrap=True,
        )
        try:
            result = train_with_progress(
                config, source, run_dir, None, make_monitor(), resume, not resume
            )
        except (TrainingInterruptedError, KeyboardInterrupt):
            raise _interrupted(run_dir, target) from None
        except Exception:
            if not interrupt.requested():
                raise
            # The Ctrl-C surfaced as another error (a SystemError out of C code).
            raise _interrupted(run_dir, target) from None
        console.print(
            line(("Trained", "green"), f" in {result.seconds:.0f} s, loss {result.final_loss:.4f}.")
        )

        from mocap_cli.progress import window_progress
        from mocap_seq2seq.pipeline import capture_report

        found = capture_report(
            source,
            run_dir,
            target,
            video=video,
            progress=window_progress,
            features=(features or DEFAULT_FEATURE_SET).value,
        )
        show_and_write(found, target)
    console.print(
        line(
            ("Report", "green"),
            f" {target / 'report.html'} (and report.md, figures/, clustering/) "
            f"in {time.monotonic() - started:.0f} s.",
        ),
        soft_wrap=True,
    )
