"""The `mocap` Typer application and its single error boundary.

Commands live one per module and import the library (and Keras) lazily, inside
the command, so that ``mocap --help`` starts instantly. Every
:class:`~mocap_seq2seq.errors.MocapError` raised below is caught here, once:
one red line on stderr and the error's exit code (2 for bad arguments, 1 for
bad files); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from mocap_cli import commands
from mocap_cli.console import error_console


class _ErrorBoundaryGroup(TyperGroup):
    """Runs a command and turns the library's errors into one line and an exit code."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(self.commands)  # definition order, not alphabetical

    def invoke(self, ctx: typer.Context) -> Any:
        from mocap_seq2seq.errors import MocapError

        try:
            return super().invoke(ctx)
        except MocapError as error:
            if _debug(ctx):
                raise
            error_console.print(f"[bold red]Error:[/] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            if _debug(ctx):
                raise
            error_console.print("[bold red]Interrupted.[/] Nothing half-written was left behind.")
            raise typer.Exit(130) from None


def _debug(ctx: typer.Context) -> bool:
    return bool(ctx.obj and ctx.obj.get("debug")) or os.environ.get("MOCAP_DEBUG") == "1"


app = typer.Typer(
    name="mocap",
    cls=_ErrorBoundaryGroup,
    help=(
        "Unsupervised action recognition and segmentation of motion capture with the "
        "decoder states of a sequence-to-sequence RNN (Su & Shlizerman 2020)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _main(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of errors.")
    ] = False,
) -> None:
    ctx.obj = {"debug": debug}
    if debug:
        os.environ["MOCAP_DEBUG"] = "1"


commands.register(app)


def main() -> None:
    """Console-script entry point."""
    # TensorFlow's C++ start-up chatter is noise for a CLI user.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app(prog_name="mocap")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
