"""`mocap segment FOLDER_OR_FILES...`: a collection of takes, one label per action across takes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.text import Text

from mocap_cli import interrupt
from mocap_cli.console import console


def is_collection(sources: list[Path], sequence: str | None) -> bool:
    """Whether ``mocap segment`` was given a collection rather than one capture.

    A folder is a collection; so are several motion files (an ASF beside AMC
    files does not count) and a converted file of several sequences, unless
    --sequence picks one.
    """
    if sequence is not None:
        return False
    if any(path.is_dir() for path in sources):
        return True
    motion = [path for path in sources if path.suffix.lower() != ".asf"]
    if len(motion) > 1:
        return True
    if len(motion) == 1 and motion[0].suffix.lower() in (".h5", ".hdf5") and motion[0].is_file():
        from mocap_seq2seq.data.store import sequence_names

        return len(sequence_names(motion[0], with_frames=True)) > 1
    return False


def segment_collection(
    sources: list[Path],
    output: Path | None,
    config: Any,
    *,
    n_actions: int | None,
    frame_rate: float | None,
    overwrite: bool,
    workers: int,
    scheduler: str | None,
    shared_model: bool = False,
) -> None:
    """Run :func:`mocap_seq2seq.takes.segment_takes` with a progress bar and a line per take."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from mocap_seq2seq.takes import TakeResult, find_takes, segment_takes

    started = time.monotonic()
    takes = find_takes(sources)
    name = sources[0].name if len(sources) == 1 else "takes"
    target = output if output is not None else Path("reports") / f"segment-{name}"
    where = f"{workers} Dask workers" if workers > 1 else (scheduler or "this process")
    models = "one model for all takes" if shared_model else "one model a take"
    console.print(Text(f"{len(takes)} takes -> {target} ({models}, on {where})"), soft_wrap=True)
    from mocap_cli.backend import import_keras

    import_keras()
    with Progress(
        TextColumn("[bold]Takes"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("takes", total=len(takes))

        def on_result(result: TakeResult) -> None:
            interrupt.check()  # a Ctrl-C dropped during a take's training stops here
            if result.ok:
                line = Text.assemble(
                    ("done" if not result.skipped else "kept", "green"),
                    f" {result.name}: {result.n_frames:,} frames, "
                    f"{result.spans.shape[0]} segment{'s' if result.spans.shape[0] != 1 else ''}"
                    + ("" if result.skipped else f", {result.seconds:.0f} s"),
                )
            else:
                line = Text.assemble(("left out", "yellow"), f" {result.name}: {result.error}")
            progress.console.print(line, soft_wrap=True)
            progress.advance(task)

        found = segment_takes(
            takes,
            target,
            config,
            n_actions=n_actions,
            frame_rate=frame_rate,
            overwrite=overwrite,
            workers=workers,
            scheduler=scheduler,
            on_result=on_result,
            shared_model=shared_model,
        )

    from mocap_seq2seq.report.render import print_report

    print_report(console, found.report)  # segment_takes wrote it
    console.print(
        Text.assemble(
            ("Report", "green"),
            f" {target / 'report.html'} (and segments.csv, segments.json, takes/) "
            f"in {time.monotonic() - started:.0f} s.",
        ),
        soft_wrap=True,
    )
