"""The `n2n` Typer app, its root options, and how errors reach the user: one line on stderr, never a traceback."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from .. import __version__
from ..errors import UserError, printable

app = typer.Typer(
    name="n2n",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
    help="Noise2Noise denoising: learn from pairs of noisy images, no clean image needed.\n\n"
    "Examples:\n\n"
    "* `n2n denoise photos/ clean/`: denoise a folder with the bundled weights\n\n"
    "* `n2n train --data train_data.pkl --epochs 10`: train on course-format noisy pairs\n\n"
    "* `n2n train --data noisy/ --single`: train from single noisy images (Neighbor2Neighbor)\n\n"
    "* `n2n eval val_data.pkl --model n2n-model.pt`: mean PSNR on (noisy, clean) pairs\n\n"
    "* `n2n eval captures/ --pairs`: PSNR estimated from noisy pairs, no clean image",
)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def error_line(message: str) -> None:
    """One line on stderr; the message is printed as it is (file names may hold rich markup such as [/]), control
    characters escaped (a file name may hold a newline)."""
    err.print(Text("error: ", style="red") + Text(printable(message)))


def note_line(message: str) -> None:
    err.print(Text("note: ", style="yellow") + Text(printable(message)))


def say(text: str) -> None:
    """A command's result on stdout. A stdout that refuses it (a full disk, a closed pipe) is one line on stderr and
    exit code 1; stdout is then sent to the null device, so that the interpreter's last flush says nothing more."""
    try:
        typer.echo(text)
        sys.stdout.flush()
    except OSError as e:
        _silence_stdout()
        error_line(_os_failure(e, "stdout", "cannot write the result"))
        raise typer.Exit(1) from None


def _silence_stdout() -> None:
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass


def _os_failure(e: OSError, name: str | None = None, what: str = "cannot read or write it") -> str:
    """One line for a system error no check foresaw: the file it names, and why."""
    from ..io.atomic import REASONS

    reason = {errno.EPIPE: "the pipe was closed"}.get(e.errno or 0) or REASONS.get(e.errno or 0)
    reason = reason or " ".join((e.strerror or type(e).__name__).split())
    where = name or (os.fsdecode(e.filename) if e.filename is not None else None)
    return f"{where}: {what}: {reason}" if where else f"{what}: {reason}"


def _version(value: bool) -> None:
    if value:
        say(f"n2n {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Noise2Noise denoising from the command line."""


@contextmanager
def user_errors() -> Iterator[None]:
    """A user mistake becomes one line on stderr and exit code 1; Ctrl-C exits 130 without a traceback."""
    try:
        yield
    except UserError as e:
        error_line(str(e))
        raise typer.Exit(1) from None
    except MemoryError:  # the memory plans refuse what they can foresee; this is what they could not
        error_line("out of memory; lower the sizes this command was given, or free memory, and run it again")
        raise typer.Exit(1) from None
    except OSError as e:  # what the checks before each read and write could not foresee: still one line
        error_line(_os_failure(e))
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None


# click's exception classes, wherever this typer version keeps click (its own copy or the click package)
_UsageError: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_ClickException: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def main() -> None:
    """Entry point: usage errors (a bad option value) are one line too, with exit code 2."""
    try:
        code = app(prog_name="n2n", standalone_mode=False)
    except _UsageError as e:
        ctx = getattr(e, "ctx", None)
        cmd = ctx.command_path if ctx is not None else "n2n"
        error_line(f"{e.format_message()} (see `{cmd} --help`)")
        sys.exit(2)
    except _ClickException as e:
        error_line(e.format_message())
        sys.exit(e.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(1)
    except OSError as e:  # outside the commands (which say their own): printing --help or --version to stdout
        _silence_stdout()
        error_line(_os_failure(e, "stdout", "cannot write the output"))
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
