"""Registers every command module's function on the app, in the order of `mocap --help`."""

from __future__ import annotations

import typer

from mocap_cli import (
    cluster_cmd,
    convert_cmd,
    demo_cmd,
    embed_cmd,
    evaluate_cmd,
    info_cmd,
    segment_cmd,
    train_cmd,
)


def register(app: typer.Typer) -> None:
    app.command("train")(train_cmd.train)
    app.command("embed")(embed_cmd.embed)
    app.command("cluster")(cluster_cmd.cluster)
    app.command("evaluate")(evaluate_cmd.evaluate)
    app.command("demo")(demo_cmd.demo)
    app.command("segment")(segment_cmd.segment)
    app.command("convert")(convert_cmd.convert)
    app.command("info")(info_cmd.info)
