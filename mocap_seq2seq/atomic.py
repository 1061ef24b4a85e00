"""Write files whole or not at all.

Every file the toolkit writes goes first to a temporary file in the same
folder, is flushed to disk, and is then renamed over the target: a rename
within one file system is atomic, so a reader (or a later run) never sees half
a file, whatever interrupts the writer (Ctrl-C, SIGKILL, a full disk).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
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
    removed and ``target`` is left as it was. Temporaries of ``target`` left
    by a writer that was killed are removed first (see
    :func:`remove_stale_temporaries`). HDF5 files go through
    :func:`atomic_hdf5` instead, which also survives a full disk.

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
        remove_stale_temporaries(folder, target.name)
        # The name ends with the target's own name, so that writers that check
        # suffixes (keras wants ".weights.h5") accept it; it starts with the
        # writer's process id, so that a later run tells a live writer's
        # temporary from one that a killed writer left behind.
        handle, name = tempfile.mkstemp(
            prefix=f".{os.getpid()}-", suffix=f"{TEMPORARY_SUFFIX}.{target.name}", dir=folder
        )
    except OSError as error:
        reason = _reason(error)
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
    try:
        os.chmod(temporary, 0o666 & ~umask)
        yield temporary
        _fsync_file(temporary)
        os.replace(temporary, target)
        _fsync_folder(folder)
    except BaseException as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(error, OSError) and not isinstance(error, MocapError):
            # A full disk, a folder where the file should go, lost permissions:
            # one clear line instead of a traceback; the target is untouched.
            raise MocapError(
                f"Cannot write '{target}': {_reason(error)}.",
                "a writable location with free space",
                "Free some space, or choose another output path.",
            ) from error
        raise


@contextlib.contextmanager
def atomic_hdf5(
    target: str | os.PathLike[str], *, same_bytes: bool = False, **options: Any
) -> Iterator[Any]:
    """Yield a new ``h5py.File`` written to a temporary; on success, move it onto ``target``.

    As :func:`atomic_path`, and safe on a full disk. HDF5 cannot recover from
    a write that fails: closing such a file crashes the process (a
    segmentation fault, after the error is printed; h5py 3.14, HDF5 1.14). So
    HDF5 is never given a write that can fail:

    * by default it writes through :class:`_GuardedFile` (h5py's file-object
      driver), which keeps the first ``OSError`` (no space left, a file size
      limit, an I/O error), discards the rest of the file, lets HDF5 close it
      normally, and raises the error here;
    * with ``same_bytes`` it writes the file in memory (HDF5's core driver)
      and Python writes the finished image to disk. The file-object driver
      lays a file out slightly differently from HDF5's default driver; the
      core driver lays it out byte for byte the same, which the collections
      need (``mocap convert`` reproduces the committed ``data/`` files, whose
      SHA-256 the runs store). It costs the compressed file twice in memory
      for a moment.

    Either way the temporary is removed and ``target`` left untouched when
    anything fails.

    Args:
        target: the ``.h5`` file to write.
        same_bytes: write the bytes HDF5's default driver would write.
        **options: passed to ``h5py.File`` (``libver``, ``track_order``, ...).

    Example:
    >>> import tempfile, pathlib, numpy
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_hdf5(folder / "a.h5") as handle:
    ...     _ = handle.create_dataset("x", data=numpy.arange(3))
    >>> sorted(path.name for path in folder.iterdir())
    ['a.h5']
    """
    import h5py

    with atomic_path(target) as temporary:
        if same_bytes:
            handle = h5py.File(temporary, "w", driver="core", backing_store=False, **options)
            try:
                yield handle
                handle.flush()
                image = handle.id.get_file_image()
            finally:
                handle.close()
            with open(temporary, "wb") as output:
                output.write(image)
            return
        with open(temporary, "r+b", buffering=0) as raw:
            guarded = _GuardedFile(raw)
            try:
                with h5py.File(guarded, "w", **options) as handle:
                    yield handle
                    # A failure met while the datasets were written: stop here.
                    guarded.raise_error()
            except BaseException:
                if guarded.error is not None:
                    raise guarded.error from None
                raise
            # Closing writes the last metadata; a failure there is known only now.
            guarded.raise_error()


class _GuardedFile(io.RawIOBase):
    """A file for h5py's file-object driver that hides write failures from HDF5.

    After the first failed write, writes are no longer sent to the disk; those
    small enough to be metadata are kept in memory so that HDF5 reads back what
    it wrote, and the file is closed without a further error. The caller then
    raises :attr:`error` and deletes the file, which is incomplete.
    """

    #: Writes kept in memory after a failure (bytes): enough for HDF5's metadata.
    _KEPT_BYTES = 64 << 20

    def __init__(self, raw: Any):
        super().__init__()
        self.raw = raw
        self.error: OSError | None = None
        self._kept: dict[int, bytes] = {}
        self._kept_bytes = 0

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def readinto(self, buffer: Any) -> int:
        start = self.raw.tell()
        count = self.raw.readinto(buffer)
        if self._kept:
            view = memoryview(buffer).cast("B")
            count = max(count or 0, self._patch(view, start))
            self.raw.seek(start + len(view))
        return count or 0

    def _patch(self, view: memoryview, start: int) -> int:
        # Lay the writes kept in memory over what the disk returned.
        end = start + len(view)
        reached = 0
        for offset, data in self._kept.items():
            low, high = max(start, offset), min(end, offset + len(data))
            if low < high:
                view[low - start : high - start] = data[low - offset : high - offset]
                reached = max(reached, high - start)
        return reached

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        if self.error is None:
            try:
                done = 0
                while done < len(view):  # a short write is followed by the one that fails
                    done += self.raw.write(view[done:]) or 0
                return len(view)
            except OSError as error:
                self.error = error
        if len(view) <= self._KEPT_BYTES - self._kept_bytes:
            self._kept[self.raw.tell()] = bytes(view)
            self._kept_bytes += len(view)
        self.raw.seek(len(view), os.SEEK_CUR)
        return len(view)

    def truncate(self, size: int | None = None) -> int:
        if self.error is None:
            try:
                return self.raw.truncate(size)
            except OSError as error:
                self.error = error
        return self.raw.tell() if size is None else size

    def flush(self) -> None:
        if self.error is None:
            try:
                self.raw.flush()
            except OSError as error:
                self.error = error


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


def remove_stale_temporaries(folder: str | os.PathLike[str], name: str | None = None) -> int:
    """Delete temporary files left by killed writers; return how many.

    A temporary whose writer is still running (its process id is in the name,
    see :func:`atomic_path`) is left alone.

    Args:
        folder: the folder of the outputs.
        name: only the temporaries of this output file name; None for all.
    """
    pattern = re.compile(
        r"\.[^.]+" + re.escape(TEMPORARY_SUFFIX) + r"\." + (re.escape(name) if name else ".+")
    )
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return 0
    count = 0
    for path in entries:
        if pattern.fullmatch(path.name) and not _writer_is_alive(path.name):
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

    If ``MOCAP_TEST_PAUSE_MARKER`` names a path, that file is created as the
    pause begins: a test that sends SIGINT waits for it, so that the signal
    lands inside the pause and not while the datasets are still being written.
    """
    value = os.environ.get(variable)
    if value:
        marker = os.environ.get("MOCAP_TEST_PAUSE_MARKER")
        if marker:
            Path(marker).touch()
        time.sleep(float(value))


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays, Paths: turned into plain JSON types.
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _reason(error: OSError) -> str:
    """The reason of an OSError on one line (h5py's may span several)."""
    text = error.strerror or str(error)
    return " ".join(text.split()).rstrip(".")


def _writer_is_alive(name: str) -> bool:
    """Whether the process named in a temporary's name (``.<pid>-<random>...``) runs."""
    match = re.match(r"\.(\d+)-", name)
    if match is None:  # a temporary of an older version: no writer to wait for
        return False
    pid = int(match.group(1))
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, and belongs to someone else
        return True
    return True


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


def is_locked_by_a_writer(error: OSError) -> bool:
    """Whether opening an HDF5 file failed because another process has it open for writing.

    HDF5 locks a file it writes (``flock``); a reader then fails with EAGAIN
    ("unable to lock file"), which is no sign of a damaged file.
    """
    return isinstance(error, BlockingIOError) or "unable to lock file" in str(error)
