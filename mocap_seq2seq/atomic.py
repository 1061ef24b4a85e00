"""Write files whole or not at all.

Every file the toolkit writes goes first to a temporary file in the same
folder, is flushed to disk, and is then renamed over the target: a rename
within one file system is atomic, so a reader (or a later run) never sees half
a file, whatever interrupts the writer (Ctrl-C, SIGKILL, a full disk).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mocap_seq2seq.errors import BusyError, MocapError

#: Suffix of the temporary files; a crashed writer may leave one behind, and
#: :func:`remove_stale_temporaries` cleans them up.
TEMPORARY_SUFFIX = ".partial"


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path; on success, move it onto ``target``.

    The caller writes the whole file to the yielded path (with any library:
    h5py, keras, matplotlib). If the block raises, the temporary file is
    removed and ``target`` is left as it was.

    Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "a.txt") as tmp:
    ...     _ = tmp.write_text("whole")
    >>> (folder / "a.txt").read_text()
    'whole'
    """
    target = Path(target)
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # The name ends with the target's own name, so that writers that check
        # suffixes (keras wants ".weights.h5") accept it.
        handle, name = tempfile.mkstemp(
            prefix=".", suffix=f"{TEMPORARY_SUFFIX}.{target.name}", dir=folder
        )
    except OSError as error:
        reason = error.strerror or str(error)
        if (folder.exists() and not folder.is_dir()) or isinstance(error, NotADirectoryError):
            reason = "a file is in the way of that folder"
        raise MocapError(
            f"Cannot write to '{folder}': {reason}.",
            "a folder you can write to",
            "Choose another output folder or fix its permissions.",
        ) from error
    os.close(handle)
    temporary = Path(name)
    # mkstemp makes the file private (0600); give it the usual umask-based mode.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    suffixed = temporary
    try:
        yield suffixed
        _fsync_file(suffixed)
        os.replace(suffixed, target)
        _fsync_folder(folder)
    except BaseException as error:
        with contextlib.suppress(OSError):
            suffixed.unlink()
        if isinstance(error, OSError) and not isinstance(error, MocapError):
            # A full disk, a folder where the file should go, lost permissions:
            # one clear line instead of a traceback; the target is untouched.
            raise MocapError(
                f"Cannot write '{target}': {error.strerror or error}.",
                "a writable location with free space",
                "Free some space, or choose another output path.",
            ) from error
        raise


def write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def write_text(target: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    write_bytes(target, text.encode("utf-8"))


def write_json(target: str | os.PathLike[str], value: Any) -> None:
    """Write ``value`` as indented, key-sorted JSON to ``target`` atomically."""
    write_text(target, json.dumps(value, indent=2, sort_keys=True, default=_json_default) + "\n")


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> int:
    """Delete temporary files left by interrupted writers; return how many."""
    count = 0
    for path in Path(folder).glob(f".*{TEMPORARY_SUFFIX}*"):
        with contextlib.suppress(OSError):
            path.unlink()
            count += 1
    return count


def pause_for_tests(variable: str) -> None:
    """Sleep for the seconds named by the environment variable ``variable``, if set.

    A fault-injection hook for the reliability tests (``tests/test_kill.py``):
    they set, e.g., ``MOCAP_TEST_PAUSE_IN_CHECKPOINT=5`` to hold a real
    process inside a write and kill or interrupt it there. Unset (always, in
    normal use) it does nothing. The hooks are listed in docs/RELIABILITY.md.
    """
    value = os.environ.get(variable)
    if value:
        time.sleep(float(value))


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays, Paths: turned into plain JSON types.
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _fsync_file(path: Path) -> None:
    with contextlib.suppress(OSError), open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


#: The lock file a writer holds in a folder it writes (a run folder).
LOCK_FILE = ".mocap.lock"


@contextlib.contextmanager
def hold_lock(folder: str | os.PathLike[str], *, what: str = "Folder") -> Iterator[None]:
    """Hold an exclusive kernel lock on ``folder`` for the block; refuse at once if taken.

    The lock is ``flock`` on ``folder/.mocap.lock``: the operating system
    releases it when its holder exits, however it exits (SIGKILL included), so
    a killed run never leaves a stale lock behind, unlike a PID file. The
    file itself stays (an empty file) and means nothing once unlocked.

    Args:
        folder: an existing folder.
        what: how the message names the folder ("Run folder").

    Raises:
        BusyError: another process holds the lock.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX (Windows): no kernel flock; the run is unlocked
        yield
        return
    path = Path(folder) / LOCK_FILE
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise MocapError(
            f"Cannot lock '{folder}': {error.strerror or error}.",
            "a folder you can write to",
            "Choose another output folder or fix its permissions.",
        ) from error
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError(
                f"{what} '{folder}' is being written by another mocap process.",
                "a folder no other process is writing",
                "Wait for that process to finish, or choose another output.",
            ) from None
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
