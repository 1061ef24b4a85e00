"""The toolkit's error types: one message form, one place to catch them.

Every message says three things, in this order: what is wrong, what was
expected, and what to do about it. :func:`format_problem` builds that sentence
so that all errors read alike. The library only raises; the command line
catches :class:`MocapError` once, prints the message on one line and exits.

``exit_code`` follows the CLI convention: 2 for problems that can be decided
from the arguments and the catalogue of shipped data (a usage error), 1 for
problems found only by opening a data or model file.

One class per kind of fault, so that one fault gives one exit code wherever
it is met (the checks themselves live in :mod:`mocap_seq2seq.validation`):

==========================  ==================================================  ====
kind of fault               class                                               exit
==========================  ==================================================  ====
a bad argument              :class:`UsageError` (and its narrower subclasses)   2
frames that are not numbers :class:`NotNumbersError` (a UsageError)             2
unusable values in frames   :class:`BadDataError`                               1
a data or run file damaged  :class:`DataFileError`, :class:`ModelFileError`     1
an argument that does not   :class:`MismatchError`                              1
fit a file
an output another process   :class:`BusyError`                                  1
is writing
==========================  ==================================================  ====

:class:`UsageError` and :class:`BadDataError` are also ``ValueError``: where
scikit-learn (or any numpy caller) expects a ``ValueError`` for a bad value,
the toolkit's own error is one.
"""

from __future__ import annotations


def format_problem(what: str, expected: str | None = None, fix: str | None = None) -> str:
    """Join the three parts of an error message into one line.

    Example:
    >>> format_problem("Unknown trial '99'.", "one of 01, 03", "Run `mocap info`.")
    "Unknown trial '99'. Expected one of 01, 03. Run `mocap info`."
    """
    parts = [what.strip()]
    if expected:
        parts.append(f"Expected {expected.strip().rstrip('.')}.")
    if fix:
        parts.append(fix.strip())
    return " ".join(parts)


class MocapError(Exception):
    """Base class of every error the toolkit raises on purpose."""

    exit_code: int = 1

    def __init__(self, what: str, expected: str | None = None, fix: str | None = None):
        super().__init__(format_problem(what, expected, fix))


class UsageError(MocapError, ValueError):
    """An argument is invalid; decided without opening any data file."""

    exit_code = 2


class UnknownNameError(UsageError, KeyError):
    """An action, take, trial or sequence name that the data does not hold."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class NoFramesError(UsageError):
    """A trial that has ground truth but whose frames are not available."""


class NotNumbersError(UsageError, TypeError):
    """Frames or values that are not numbers at all (strings, objects).

    A ``TypeError`` too, as scikit-learn's estimator checks expect when an
    object array holds something ``float()`` cannot read.
    """


class WindowError(UsageError):
    """A window (source + target length) that does not fit the sequence."""


class DataFileError(MocapError):
    """A data file is missing, not HDF5, truncated, or of the wrong layout."""


class BadDataError(MocapError, ValueError):
    """Frames whose values cannot be used: NaN or Inf, complex numbers, wrong channel count.

    A ``ValueError`` too, as scikit-learn's estimator checks expect of a bad
    value passed to ``fit``.
    """


class MismatchError(MocapError):
    """An argument that does not fit a data or model file, found only by opening it.

    For example ``--k`` above the number of frames of an embedding file: the
    argument alone is fine, so this is a file-level error (exit code 1).
    """


class ModelFileError(MocapError):
    """A model or run folder that is missing, incomplete or incompatible."""


class OutputExistsError(UsageError):
    """An output that already exists, and ``overwrite`` was not requested."""


class BusyError(MocapError):
    """An output that another process is writing at this moment (its lock is held)."""


class TrainingDivergedError(MocapError):
    """The training loss became NaN or infinite."""


class TrainingInterruptedError(MocapError):
    """Training stopped by Ctrl-C; the last checkpoint is usable."""

    exit_code = 130
