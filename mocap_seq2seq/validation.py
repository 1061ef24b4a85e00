"""One validation layer: frames, numeric parameters and the files the toolkit reads back.

Every check of an input lives here, so that one fault gives one error class,
one exit code and one message form wherever it is met (see
:mod:`mocap_seq2seq.errors` and docs/RELIABILITY.md):

* **Frames** (:func:`check_frames`): an array ``(n_frames, n_channels)`` of
  real, finite numbers. A wrong *form* (not 2-D, too few frames, no channel,
  not numbers, sparse) is a :class:`~mocap_seq2seq.errors.UsageError` (exit 2);
  wrong *values* (NaN or Inf, complex numbers, a channel count that does not
  fit a model) are a :class:`~mocap_seq2seq.errors.BadDataError` (exit 1).
  Both are ``ValueError`` subclasses, as scikit-learn expects of estimators.
* **Numeric parameters** (:func:`check_int`, :func:`check_number`): a Python
  or numpy number in a range, refused with what was passed, what was expected
  and how to fix it.
* **Files read back** (:func:`check_fields`, :func:`read_json_object`): a JSON
  object with typed fields; a damaged file names itself (exit 1 by default).

Example:
>>> check_int(3, "step", owner="KernelSegmenter", low=1)
3
>>> check_frames([[0, 1], [2, 3]]).dtype
dtype('float64')
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mocap_seq2seq.errors import (
    BadDataError,
    DataFileError,
    MocapError,
    NotNumbersError,
    UsageError,
)

# ----------------------------------------------------------------------------- frames


def check_frames(
    frames: Any,
    *,
    name: str = "frames",
    n_channels: int | None = None,
    min_frames: int = 1,
    fix: str | None = None,
    keep_float32: bool = False,
) -> np.ndarray:
    """Return ``frames`` as a C-ordered float64 array ``(n_frames, n_channels)``.

    Args:
        frames: array-like, frames first. Object arrays of numbers are
            converted (scikit-learn's convention); strings are refused.
        name: how messages call the array, e.g. ``"'01'"`` or ``"The frames
            given to KernelSegmenter"``; a bare word gets "The " before it.
            Defaults to ``"frames"``.
        n_channels: the channel count the caller needs (a model's input), or
            None for any. A mismatch is a :class:`BadDataError`.
        min_frames: the fewest frames accepted. Defaults to 1.
        fix: how to repair non-finite values, the last part of that message.
        keep_float32: return float32 frames as they are, without a float64
            copy (for callers that reduce them first, in float64: an hour of
            decoder states is 0.44 GB as float32, 0.88 GB more as float64).
            Defaults to False.

    Returns:
        float64 array of shape ``(n_frames, n_channels)`` (float32 if so given
        and ``keep_float32``).

    Example:
    >>> check_frames(np.array([[0.0, np.inf]]), name="'01'")
    Traceback (most recent call last):
    ...
    mocap_seq2seq.errors.BadDataError: '01' holds NaN or infinite values (first at frame 0). \
Expected finite numbers in every channel. Repair or drop the bad frames.
    """
    subject = name if not name.isidentifier() else f"The {name}"
    if _is_sparse(frames):
        raise UsageError(
            f"{subject} are a sparse matrix: sparse input is not supported.",
            "a dense array of shape (n_frames, n_channels)",
            "Convert it with .toarray() first.",
        )
    array = np.asarray(frames)
    if array.ndim != 2:
        raise UsageError(
            f"{subject} must be a 2-D array (n_frames, n_channels). Got shape {array.shape}.",
            "shape (n_frames, n_channels), frames first",
            "Pass decoder states or poses, one row per frame.",
        )
    if array.shape[1] < 1 or array.shape[0] < min_frames:
        # The first clause is scikit-learn's wording, which its estimator checks look for.
        raise UsageError(
            f"{subject} have {array.shape[1]} feature(s) (shape={array.shape}) while a minimum "
            f"of 1 is required, and {array.shape[0]} frame(s) while a minimum of {min_frames} "
            "is required.",
            f"shape (n_frames, n_channels) with at least {_frames(min_frames)} and one channel",
            "Pass a longer sequence with at least one channel.",
        )
    if np.issubdtype(array.dtype, np.complexfloating):
        raise BadDataError(
            f"{subject} hold complex numbers ({array.dtype}). Complex data not supported: "
            "the imaginary part would be lost.",
            "real numbers",
            "Pass the real frames (for example np.real(frames) if the imaginary part is zero).",
        )
    if array.dtype == object:
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as problem:
            raise NotNumbersError(
                f"{subject} must be real numbers. Got objects that are not numbers ({problem}).",
                "a float array of shape (n_frames, n_channels)",
            ) from None
    elif not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise NotNumbersError(
            f"{subject} must be real numbers. Got {array.dtype}.",
            "a float array of shape (n_frames, n_channels)",
        )
    if n_channels is not None and array.shape[1] != n_channels:
        raise BadDataError(
            f"{subject} have {array.shape[1]} channels.",
            f"{n_channels} channels, as the model was trained on",
            "Use data of the same format as the training data.",
        )
    keep = keep_float32 and array.dtype == np.float32
    array = np.ascontiguousarray(array, dtype=np.float32 if keep else np.float64)
    check_finite(array, name=name, fix=fix)
    return array


def check_finite(array: np.ndarray, *, name: str = "frames", fix: str | None = None) -> None:
    """Refuse an array holding NaN or Inf, naming the first bad frame (first axis).

    Example:
    >>> check_finite(np.array([[1.0], [np.nan]]), name="positions")
    Traceback (most recent call last):
    ...
    mocap_seq2seq.errors.BadDataError: The positions hold NaN or infinite values \
(first at frame 1). Expected finite numbers in every channel. Repair or drop the bad frames.
    """
    values = np.asarray(array)
    bad = ~np.isfinite(values)
    if not bad.any():
        return
    subject = f"The {name}" if name.isidentifier() else name
    verb = "hold" if subject.startswith("The ") else "holds"
    where = ""
    if values.ndim >= 1:
        frame = int(np.flatnonzero(bad.reshape(values.shape[0], -1).any(axis=1))[0])
        where = f" (first at frame {frame})"
    raise BadDataError(
        f"{subject} {verb} NaN or infinite values{where}.",
        "finite numbers in every channel",
        fix or "Repair or drop the bad frames.",
    )


def check_float32_range(array: np.ndarray, *, name: str = "frames") -> None:
    """Refuse finite values that float32 (the stored frames' type) cannot hold.

    Without this a value such as 1e39 would be written as infinity, after a
    numpy overflow warning, and refused only when read back.

    Example:
    >>> check_float32_range(np.array([[1.0], [1e39]]), name="'01'")
    Traceback (most recent call last):
    ...
    mocap_seq2seq.errors.BadDataError: '01' holds a value beyond float32's range \
(first at frame 1). Expected values of magnitude below 3.4e+38. Rescale the frames, \
for example to other units.
    """
    values = np.asarray(array)
    limit = float(np.finfo(np.float32).max)
    beyond = np.abs(values) > limit
    if not beyond.any():
        return
    subject = f"The {name}" if name.isidentifier() else name
    verb = "hold" if subject.startswith("The ") else "holds"
    frame = int(np.flatnonzero(beyond.reshape(values.shape[0], -1).any(axis=1))[0])
    raise BadDataError(
        f"{subject} {verb} a value beyond float32's range (first at frame {frame}).",
        f"values of magnitude below {limit:.1e}",
        "Rescale the frames, for example to other units.",
    )


def _is_sparse(value: Any) -> bool:
    # scipy.sparse without importing it: its matrices and arrays all carry these two.
    return hasattr(value, "tocsr") and hasattr(value, "nnz")


def _frames(count: int) -> str:
    return "one frame" if count == 1 else f"{count} frames"


# ----------------------------------------------------------------------------- numbers


def check_int(
    value: Any,
    name: str,
    *,
    owner: str | None = None,
    low: int | None = None,
    high: int | None = None,
    high_text: str = "",
    option: str | None = None,
    allow_none: bool = False,
    error: type[MocapError] = UsageError,
) -> int | None:
    """Return ``value`` as an int if it is a whole number in ``low..high`` (inclusive).

    ``bool`` is refused (it is an int to Python, never meant as one here).

    Args:
        value: the value passed.
        name: the parameter's name, quoted in the message.
        owner: the function or class it belongs to, if any.
        low, high: inclusive bounds; None for no bound.
        high_text: what ``high`` is, e.g. "the number of frames".
        option: the command-line option that sets it; defaults to ``--name``.
        allow_none: accept None (the parameter is then chosen automatically).
        error: the class raised. Defaults to :class:`UsageError`.

    Example:
    >>> check_int(0, "n_clusters", owner="KMeansFrames", low=1, high=9, high_text="the frames")
    Traceback (most recent call last):
    ...
    mocap_seq2seq.errors.UsageError: The 'n_clusters' of KMeansFrames must be between 1 and \
the frames (9). Got 0. Pass a --n-clusters between 1 and 9.
    """
    if value is None and allow_none:
        return None
    valid = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    if valid and (low is None or value >= low) and (high is None or value <= high):
        return int(value)
    subject = f"The '{name}'" + (f" of {owner}" if owner else "")
    option = option or "--" + name.replace("_", "-")
    if high is None:
        bound = "" if low is None else f" >= {low}"
        what = f"{subject} must be a whole number{bound}. Got {value!r}."
        fix = f"Pass a whole {option}." if low is None else f"Pass a {option} of at least {low}."
    else:
        lower = low if low is not None else "any"
        limit = f"{high_text} ({high})" if high_text else str(high)
        what = f"{subject} must be between {lower} and {limit}. Got {value!r}."
        fix = f"Pass a {option} between {lower} and {high}."
    if allow_none:
        fix += " Or leave it unset to choose it automatically."
    raise error(what, fix=fix)


def check_number(
    value: Any,
    name: str,
    *,
    owner: str | None = None,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    allow_none: bool = False,
    fix: str | None = None,
    error: type[MocapError] = UsageError,
) -> float | None:
    """Return ``value`` as a float if it is a finite real number in range.

    Args:
        value, name, owner, allow_none, error: as for :func:`check_int`.
        low, high: bounds; ``low`` is exclusive when ``low_inclusive`` is False.
        fix: how to fix it; defaults to a sentence naming the range.

    Example:
    >>> check_number(0.5, "bandwidth", low=0, low_inclusive=False)
    0.5
    >>> check_number(-1.0, "bandwidth", owner="KernelSegmenter", low=0, low_inclusive=False)
    Traceback (most recent call last):
    ...
    mocap_seq2seq.errors.UsageError: The 'bandwidth' of KernelSegmenter must be a finite \
number > 0. Got -1.0. Pass a bandwidth > 0.
    """
    if value is None and allow_none:
        return None
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
    if ok:
        number = float(value)
        ok = math.isfinite(number)
        if ok and low is not None:
            ok = number >= low if low_inclusive else number > low
        if ok and high is not None:
            ok = number <= high
        if ok:
            return number
    ranges = []
    if low is not None:
        ranges.append(f"{'>=' if low_inclusive else '>'} {_plain(low)}")
    if high is not None:
        ranges.append(f"<= {_plain(high)}")
    condition = " " + " and ".join(ranges) if ranges else ""
    subject = f"The '{name}'" + (f" of {owner}" if owner else "")
    what = f"{subject} must be a finite number{condition}. Got {value!r}."
    if fix is None:
        fix = f"Pass a {name}{condition}."
        if allow_none:
            fix += " Or leave it unset."
    raise error(what, fix=fix)


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


# ----------------------------------------------------------------------------- files read back


@dataclass(frozen=True)
class Field:
    """One field of a file's JSON object: its type(s), and whether it may be missing.

    ``types`` are Python types; ``int`` never matches a bool and ``float``
    also matches an int (JSON writes 1.0 as 1 in some tools). ``check``, if
    given, is called with the value and returns an error sentence or None.
    """

    types: tuple[type, ...]
    required: bool = True
    check: Callable[[Any], str | None] | None = None


#: A schema: field name -> a type, a tuple of types, or a :class:`Field`.
Schema = Mapping[str, "type | tuple[type, ...] | Field"]


def check_fields(
    content: Any,
    schema: Schema,
    *,
    file: str | os.PathLike[str],
    error: type[MocapError] = DataFileError,
    fix: str | None = None,
) -> dict[str, Any]:
    """Return ``content`` if it is a JSON object whose fields match ``schema``.

    Fields not in the schema are kept and not checked (newer files may add
    some). The first field that is missing or of the wrong type is reported,
    naming the file.

    Args:
        content: what ``json.load`` returned.
        schema: the fields that must (or may) be there and their types.
        file: the file it came from, named in the message.
        error: the class raised. Defaults to :class:`DataFileError` (exit 1).
        fix: what to do; defaults to "Write the file again with the toolkit."

    Example:
    >>> check_fields({"step": 40}, {"step": int}, file="checkpoint.json")
    {'step': 40}
    >>> check_fields({"step": "forty"}, {"step": int}, file="checkpoint.json")
    Traceback (most recent call last):
    ...
    mocap_seq2seq.errors.DataFileError: 'checkpoint.json' is damaged: its field 'step' is \
the str 'forty'. Expected an int. Write the file again with the toolkit.
    """
    fix = fix or "Write the file again with the toolkit."
    if not isinstance(content, dict):
        raise error(
            f"'{file}' is damaged: it holds a {type(content).__name__}, not a JSON object.",
            f"an object with the fields {', '.join(schema)}",
            fix,
        )
    for key, spec in schema.items():
        field = spec if isinstance(spec, Field) else Field(_types(spec))
        if key not in content:
            if field.required:
                raise error(
                    f"'{file}' is damaged: it has no field '{key}'.",
                    f"{_article(field.types)} '{key}'",
                    fix,
                )
            continue
        value = content[key]
        if not _matches(value, field.types):
            raise error(
                f"'{file}' is damaged: its field '{key}' is the "
                f"{type(value).__name__} {_short(value)}.",
                _article(field.types),
                fix,
            )
        problem = field.check(value) if field.check else None
        if problem:
            raise error(f"'{file}' is damaged: its field '{key}' {problem}.", fix=fix)
    return content


def read_json_object(
    path: str | os.PathLike[str],
    schema: Schema,
    *,
    error: type[MocapError] = DataFileError,
    fix: str | None = None,
) -> dict[str, Any]:
    """Read a JSON file the toolkit wrote and check it against ``schema``.

    A missing file, unreadable text, invalid JSON or a field of the wrong type
    all raise ``error`` naming the file (see :func:`check_fields`).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"'{path}' does not exist.", fix=fix or "Check the path.") from None
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"Cannot read '{path}': {problem}.", fix=fix) from None
    try:
        content = json.loads(text)
    except json.JSONDecodeError as problem:
        raise error(
            f"'{path}' is damaged: it is not valid JSON ({problem}).",
            fix=fix or "Write the file again with the toolkit.",
        ) from None
    return check_fields(content, schema, file=path, error=error, fix=fix)


def _types(spec: type | tuple[type, ...]) -> tuple[type, ...]:
    return spec if isinstance(spec, tuple) else (spec,)


def _matches(value: Any, types: tuple[type, ...]) -> bool:
    for kind in types:
        if kind is type(None) and value is None:
            return True
        if kind is bool and isinstance(value, bool):
            return True
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if kind not in (bool, int, float, type(None)) and isinstance(value, kind):
            return True
    return False


_TYPE_NAMES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    int: "an int",
    float: "a number",
    bool: "a bool",
    type(None): "null",
}


def _article(types: tuple[type, ...]) -> str:
    return " or ".join(_TYPE_NAMES.get(kind, f"a {kind.__name__}") for kind in types)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
