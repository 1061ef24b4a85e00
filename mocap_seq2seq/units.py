"""Physical units: every time-like parameter is given in seconds and turned into frames here.

The toolkit's defaults were tuned on the CMU captures at 120 fps; written in
seconds they mean the same motion at any rate (a 10-frame block at 120 fps is
1/12 s, 5 frames at 60 fps). One conversion, :func:`seconds_to_frames`, is used
wherever a parameter in seconds meets a sequence, so that every stage rounds
the same way; :func:`frames_to_seconds` goes back for display.

A sequence's rate comes from its file (``frame_rate`` in the HDF5 store), or
from ``--frame-rate``, which overrides it; :func:`require_frame_rate` refuses a
sequence that has neither, where a rate is needed.
"""

from __future__ import annotations

import math

from mocap_seq2seq.errors import UsageError

#: The rate at which the defaults were tuned: the CMU captures (subject 86 and,
#: see README "Data", the case-(i) takes). Defaults in seconds equal the old
#: frame defaults at this rate.
REFERENCE_FRAME_RATE = 120.0


def check_frame_rate(rate: object, option: str = "--frame-rate") -> float:
    """A frame rate as a positive finite float, or a :class:`UsageError` naming ``option``.

    Example:
    >>> check_frame_rate(60), check_frame_rate("29.97")
    (60.0, 29.97)
    """
    try:
        value = float(rate)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise UsageError(
            f"{option} {rate} is not a frame rate.", "a positive number of frames per second"
        )
    return value


def seconds_to_frames(seconds: float, frame_rate: float, *, minimum: int = 1) -> int:
    """``seconds`` at ``frame_rate`` as a whole number of frames, at least ``minimum``.

    Rounds to the nearest frame (halves to even, as Python's ``round``), so
    that a default in seconds gives back the frame default it came from at
    :data:`REFERENCE_FRAME_RATE`.

    Args:
        seconds: a duration, ``>= 0``.
        frame_rate: frames per second, ``> 0``.
        minimum: fewest frames returned. Defaults to 1 (a block or a segment
            is never empty; pass 0 for a tolerance).

    Example:
    >>> seconds_to_frames(10 / 120, 120.0), seconds_to_frames(10 / 120, 60.0)
    (10, 5)
    >>> seconds_to_frames(0.5, 50.0), seconds_to_frames(25 / 120, 60.0, minimum=0)
    (25, 12)
    >>> seconds_to_frames(0.001, 30.0)
    1
    """
    rate = check_frame_rate(frame_rate, "The frame_rate")
    if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds >= 0):
        raise UsageError(
            f"A duration must be a number of seconds >= 0. Got {seconds!r}.",
            "a duration in seconds",
        )
    return max(int(minimum), int(round(seconds * rate)))


def frames_to_seconds(frames: int | float, frame_rate: float) -> float:
    """``frames`` at ``frame_rate`` in seconds.

    Example:
    >>> frames_to_seconds(60, 120.0), frames_to_seconds(90, 60.0)
    (0.5, 1.5)
    """
    return float(frames) / check_frame_rate(frame_rate, "The frame_rate")


def require_frame_rate(frame_rate: float | None, what: str, why: str = "") -> float:
    """``frame_rate`` checked, or a :class:`UsageError` that names ``--frame-rate``.

    Args:
        frame_rate: the rate known for ``what`` (stored or given), or None.
        what: the sequence, for the message (``"'walk' in 'walk.h5'"``).
        why: said after "has no frame rate" (``" (AMC files state none)"``).

    Example:
    >>> require_frame_rate(120, "trial 01")
    120.0
    >>> try:
    ...     require_frame_rate(None, "'walk'")
    ... except UsageError as error:
    ...     print(str(error)[:50])
    'walk' has no frame rate, and times in seconds nee
    """
    if frame_rate is None or (isinstance(frame_rate, float) and math.isnan(frame_rate)):
        raise UsageError(
            f"{what} has no frame rate{why}, and times in seconds need one.",
            "the rate it was captured at",
            "Pass --frame-rate, e.g. --frame-rate 120.",
        )
    return check_frame_rate(frame_rate)
