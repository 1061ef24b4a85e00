"""The `mocap` Typer application and its single error boundary.

Commands live one per module and import the library (and Keras) lazily, inside
the command, so that ``mocap --help`` starts instantly. Every
:class:`~mocap_seq2seq.errors.MocapError` raised below, and every usage error
of a command's options that Typer finds, is caught here, once: one red line on
stderr, with user text printed literally, and the error's exit code (2 for bad
arguments, 1 for bad files); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from rich.text import Text
from typer.core import TyperGroup

from mocap_cli import commands, interrupt
from mocap_cli.console import error_console

#: click's UsageError as Typer raises it: Typer 0.2x vendors its own click,
#: older Typer uses click itself; BadParameter derives from it in both.
_TyperUsageError: type[Exception] = typer.BadParameter.__bases__[0]


class _ErrorBoundaryGroup(TyperGroup):
    """Runs a command and turns the library's errors into one line and an exit code."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(self.commands)  # definition order, not alphabetical

    def invoke(self, ctx: typer.Context) -> Any:
        from mocap_seq2seq.errors import MocapError

        try:
            result = super().invoke(ctx)
            interrupt.check()  # a Ctrl-C that Python dropped on the way still counts
            return result
        except _TyperUsageError as error:
            # A command's options failed Typer's own checks (a missing --labels
            # file, a choice not offered, a number that is not one): one line too.
            if _debug(ctx) or type(error).__name__ == "NoArgsIsHelpError":
                raise
            context = getattr(error, "ctx", None)
            command = context.command_path if context is not None else "mocap"
            message = error.format_message().strip().rstrip(".")  # type: ignore[attr-defined]
            _say("Error:", f"{message}. See `{command} --help`.")
            raise typer.Exit(getattr(error, "exit_code", 2)) from None
        except MocapError as error:
            if _debug(ctx):
                raise
            _say("Error:", str(error))
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            if _debug(ctx):
                raise
            # Every write is atomic (mocap_seq2seq.atomic): nothing half-written is left.
            _say("Interrupted.", "Nothing half-written was left behind.")
            raise typer.Exit(130) from None
        except Exception:
            if _debug(ctx) or not interrupt.requested():
                raise
            # The Ctrl-C surfaced as another error (a SystemError out of C code).
            # Every write is atomic (mocap_seq2seq.atomic): nothing half-written is left.
            _say("Interrupted.", "Nothing half-written was left behind.")
            raise typer.Exit(130) from None


def _say(label: str, message: str) -> None:
    """One line on stderr: a red label, then the message as it is.

    The message carries user text (paths, names, labels): it is never read as
    rich markup, and whatever line breaks it holds (h5py's errors have some)
    are joined, so that the line stays one line.
    """
    text = Text.assemble((label, "bold red"), " ", " ".join(message.split()))
    error_console.print(text, highlight=False, soft_wrap=True)


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
    interrupt.install()
    app(prog_name="mocap")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
