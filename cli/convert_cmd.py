"""`mocap convert`: raw motion capture (CMU release, BVH, ASF/AMC, Human3.6M) -> HDF5."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mocap_cli.console import console, line
from mocap_cli.options import AsfFile, FrameRate, LabelsFile, Overwrite


def convert(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="A folder laid out like the CMU release (actions/, subject86/); or BVH "
            "files; or AMC files with their ASF; or a Human3.6M folder (S1..S11 with "
            "<action>_<n>.txt) or such .txt files.",
            metavar="SOURCE",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            "--output-dir",
            help="CMU release: the folder for cmu_actions.h5 and cmu_subject86.h5 "
            "\\[default: the clone's data/]. Other formats: the .h5 file "
            "\\[default: <first file's name>.h5, or h36m.h5, in the current folder].",
            show_default=False,
        ),
    ] = None,
    labels: LabelsFile = None,
    asf: AsfFile = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            help="Store the sequences as takes of this action, so that `--data FILE "
            "--actions ...` can concatenate them.",
            show_default=False,
        ),
    ] = None,
    frame_rate: FrameRate = None,
    resample: Annotated[
        float | None,
        typer.Option(
            "--resample",
            help="Resample every sequence to this many frames per second (rotations "
            "interpolated as rotations, low-pass before going down; labels by nearest "
            "frame). The stored frame rate becomes FPS.",
            metavar="FPS",
            show_default=False,
        ),
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Convert motion capture into the toolkit's compressed, deterministic HDF5.

    Examples: `mocap convert ../shared/cmu`, `mocap convert walk.bvh --labels walk.csv`,
    `mocap convert 86.asf 86_01.amc --frame-rate 120`, `mocap convert h36m/ -o h36m.h5`,
    `mocap convert walk.bvh --resample 60`.
    """
    from mocap_seq2seq.data.resample import check_rate
    from mocap_seq2seq.errors import UsageError

    if resample is not None:
        resample = check_rate(resample)
    if frame_rate is not None:
        frame_rate = check_rate(frame_rate, "--frame-rate")

    if len(sources) == 1 and sources[0].is_dir() and _is_cmu_release(sources[0]):
        extra = [
            flag
            for flag, value in (("--labels", labels), ("--asf", asf), ("--action", action))
            if value is not None
        ]
        if extra:
            raise UsageError(f"{extra[0]} does not apply to the CMU release folder.")
        if resample is not None and frame_rate is None:
            raise UsageError(
                "--resample needs the source rate, and the CMU single-action takes state none.",
                "--frame-rate with --resample",
                "CMU captures are at 120 fps: pass --frame-rate 120.",
            )
        _convert_cmu(sources[0], output, overwrite, resample, frame_rate)
        return
    from mocap_seq2seq.data.importers import import_motion, plan_import

    plan = plan_import(sources, asf)
    if output is None:
        output = Path(("h36m" if plan.format == "h36m" else plan.files[0].stem) + ".h5")
    elif output.is_dir():
        raise UsageError(f"'{output}' is a folder.", "the path of the .h5 file to write")
    with console.status("Converting...") as status:
        path = import_motion(
            sources,
            output,
            asf=asf,
            labels=labels,
            action=action,
            frame_rate=frame_rate,
            overwrite=overwrite,
            progress=lambda name: status.update(line(f"Reading {name}")),
        )
        if resample is not None:
            status.update(f"Resampling to {resample:g} fps")
            _resample_in_place(path, resample, frame_rate)
    console.print(
        line(
            ("Wrote", "green"),
            f" {path} ({path.stat().st_size / 1e6:.1f} MB, {plan.format}, "
            f"{len(plan.files)} file{'s' if len(plan.files) != 1 else ''}). "
            f"Next: `mocap info --data {path}` or `mocap segment {path}`.",
        ),
        soft_wrap=True,
    )


def _is_cmu_release(folder: Path) -> bool:
    return (folder / "actions").is_dir() or (folder / "subject86").is_dir()


def _resample_in_place(
    path: Path, target_rate: float, frame_rate: float | None, *, remove_on_error: bool = True
) -> None:
    """Resample a just-written collection (atomically); on failure remove the file when
    ``remove_on_error``, so no file at the wrong rate is left under the asked-for name."""
    from mocap_seq2seq.data.store import resample_collection

    try:
        resample_collection(path, path, target_rate, source_rate=frame_rate)
    except BaseException:
        if remove_on_error:
            path.unlink(missing_ok=True)
        raise


def _convert_cmu(
    source_dir: Path,
    output_dir: Path | None,
    overwrite: bool,
    resample: float | None = None,
    frame_rate: float | None = None,
) -> None:
    from mocap_seq2seq.data.store import convert_cmu
    from mocap_seq2seq.paths import CLONE_ROOT

    target = output_dir if output_dir is not None else CLONE_ROOT / "data"
    with console.status("Converting...") as status:
        written = convert_cmu(
            source_dir,
            target,
            overwrite=overwrite,
            progress=lambda name: status.update(line(f"Reading {name}")),
        )
        if resample is not None:
            for path in written:
                status.update(f"Resampling {path.name} to {resample:g} fps")
                _resample_in_place(path, resample, frame_rate, remove_on_error=False)
    for path in written:
        size = path.stat().st_size / 1e6
        console.print(line(("Wrote", "green"), f" {path} ({size:.1f} MB)"), soft_wrap=True)
