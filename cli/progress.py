"""Rich progress bars owned by the CLI; the library reports through plain callbacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mocap_cli import interrupt
from mocap_cli.console import console


@contextmanager
def window_progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """Yield a ``progress(done, total)`` callback drawing a transient bar."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        # The description may hold a sequence name: shown as it is, not as markup.
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("windows"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # a piped or logged run gets no blank bar line
    ) as progress:
        task = progress.add_task(description, total=None)

        def report(done: int, total: int) -> None:
            interrupt.check()
            progress.update(task, completed=done, total=total)

        yield report


def train_with_progress(
    config: Any,
    source: Any,
    run_dir: Path,
    segment_bounds: Any,
    monitor_fn: Any,
    resume: bool,
    overwrite: bool,
    n_members: int | None = None,
) -> Any:
    """``training.train`` on a source, with a live bar: loss, steps/s, monitor, time left.

    With ``n_members`` (or resuming an ensemble folder), ``train_ensemble``
    instead: the bar starts again for each member.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from mocap_seq2seq.model import training

    with Progress(
        TextColumn("[bold]training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("{task.fields[rate]} steps/s"),
        TextColumn("monitor {task.fields[monitor]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("train", total=config.steps, loss="-", rate="-", monitor="-")
        first: list[float] = []

        def report(step_report) -> None:  # type: ignore[no-untyped-def]
            interrupt.check()
            if not first:
                first.append(step_report.seconds)
                first.append(step_report.step - 1)
            done = step_report.step - first[1]
            rate = done / step_report.seconds if step_report.seconds > 0 else 0.0
            progress.update(
                task,
                completed=step_report.step,
                total=step_report.total_steps,
                loss=f"{step_report.loss:.4f}",
                rate=f"{rate:.1f}",
                monitor="-" if step_report.monitor is None else f"{step_report.monitor:.3f}",
            )

        options = {
            "data": source.description,
            "segment_bounds": segment_bounds,
            "monitor": monitor_fn,
            "progress": report,
            # print, not console.log: the log's file:line column means nothing to a user
            "log": lambda message: progress.console.print(
                message, style="dim", highlight=False, markup=False
            ),
            "resume": resume,
            "overwrite": overwrite,
            "root_columns": source.root_columns,
        }
        from mocap_seq2seq.model import ensemble

        if n_members is None and not (resume and ensemble.is_ensemble(run_dir)):
            return training.train(config, source.frames, run_dir, **options)

        def on_member(index: int, total: int, member: Path) -> None:
            first.clear()
            progress.reset(task, total=config.steps, loss="-", rate="-", monitor="-")
            progress.console.print(
                f"member {index + 1} of {total}: {member}", highlight=False, markup=False
            )

        return ensemble.train_ensemble(
            config, source.frames, run_dir, n_members or 1, on_member=on_member, **options
        )
