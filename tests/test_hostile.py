"""Issue 17: a hostile user's cases past the first reliability table, through the real CLI.

Each test is a row of docs/RELIABILITY.md: one line on stderr, the documented
exit code, no traceback, no file left under a final name or as a temporary.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from test_reliability import fails  # one error line, the exit code, no traceback
from typer.testing import CliRunner

from mocap_cli.app import app

runner = CliRunner()

TINY = ["--source-length", "10", "--target-length", "5", "--batch-size", "8"]
TINY += ["--steps", "2", "--checkpoint-every", "2", "--no-monitor"]

BVH = """HIERARCHY
ROOT hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT knee
  {
    OFFSET 0 -2 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 -1 0
    }
  }
}
MOTION
Frames: FRAMES
Frame Time: 0.0333333
"""


def bvh_text(n_frames: int = 40, frame_time: str = "0.0333333") -> str:
    rng = np.random.default_rng(0)
    rows = rng.uniform(-30, 30, (n_frames, 9))
    text = BVH.replace("FRAMES", str(n_frames)).replace("0.0333333", frame_time)
    return text + "".join(" ".join(f"{v:.4f}" for v in row) + "\n" for row in rows)


def succeeds(args: list[object]) -> str:
    result = runner.invoke(app, [str(arg) for arg in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def no_partials(folder: Path) -> None:
    assert not [path for path in folder.rglob("*") if ".partial" in path.name]


@pytest.fixture(scope="module")
def run(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny run on trial 01 and its embedding."""
    folder = tmp_path_factory.mktemp("hostile") / "run"
    succeeds(["train", "--trial", "01", *TINY, "-o", folder, "--data-dir", data_dir])
    succeeds(["embed", folder, "--data-dir", data_dir])
    return folder


# ----------------------------------------------------------------------------- markup


def test_brackets_in_an_output_path_are_printed_as_written(run: Path, tmp_path: Path) -> None:
    target = tmp_path / "cl[/x]"
    out = succeeds(["cluster", run / "embedding.h5", "--k", "3", "-o", target])
    assert (target / "clustering.json").is_file()
    assert "cl[/x]" in out.replace("\n", "")


def test_brackets_in_a_missing_path_are_printed_as_written(tmp_path: Path) -> None:
    fails(["embed", tmp_path / "[bold]run[/x]"], 1, "[bold]run[/x]")


def test_a_label_in_brackets_is_shown_as_written(tmp_path: Path) -> None:
    (tmp_path / "walk.bvh").write_text(bvh_text(40))
    (tmp_path / "walk.csv").write_text("start,end,label\n0,20,[bold]slow\n20,40,[/x]fast\n")
    out = tmp_path / "walk.h5"
    succeeds(["convert", tmp_path / "walk.bvh", "--labels", tmp_path / "walk.csv", "-o", out])
    shown = succeeds(["info", "--data", out]).replace("\n", "")
    assert "[bold]slow" in shown and "[/x]fast" in shown


@pytest.mark.parametrize(
    ("backend", "hint"),
    [
        ("torch", "pip install torch --index-url https://download.pytorch.org/whl/cpu"),
        ("jax", 'pip install -e ".[jax]"'),
    ],
)
def test_the_missing_backend_hint_keeps_its_brackets(
    tmp_path: Path, backend: str, hint: str
) -> None:
    # The backend is hidden as an absent package is: its import raises
    # ModuleNotFoundError. (A None in sys.modules would also block the import,
    # but scipy's array-API checks then read attributes of that None.)
    script = (
        "import sys, importlib.abc\n"
        "class Hide(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] == {backend!r}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "from mocap_cli.app import main\n"
        "sys.argv = ['mocap', 'train', '--trial', '01', '--steps', '1', '-o', sys.argv[1]]\n"
        "main()\n"
    )
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "r")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert hint in lines[0]


# ----------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("trial", ["²", "٣", "1e3"])
def test_a_trial_that_is_not_a_plain_number(data_dir: Path, tmp_path: Path, trial: str) -> None:
    fails(["train", "--trial", trial, *TINY, "-o", tmp_path / "r", "--data-dir", data_dir], 2)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("length", ["0", "-5"])
def test_chunk_length_must_be_positive(data_dir: Path, tmp_path: Path, length: str) -> None:
    args = ["train", "--trial", "01", *TINY, "--chunk-length", length, "-o", tmp_path / "r"]
    fails([*args, "--data-dir", data_dir], 2, "--chunk-length")
    assert not (tmp_path / "r").exists()


# ----------------------------------------------------------------------------- parsed motion


def test_bvh_frame_time_too_small_for_a_frame_rate(tmp_path: Path) -> None:
    (tmp_path / "w.bvh").write_text(bvh_text(40, "1e-320"))
    fails(["convert", tmp_path / "w.bvh", "-o", tmp_path / "w.h5"], 1, "Frame Time", "line 18")
    assert not (tmp_path / "w.h5").exists()


def test_bvh_value_beyond_float32_names_its_line(tmp_path: Path) -> None:
    text = bvh_text(40).splitlines()
    text[20] = " ".join(["1e39"] + text[20].split()[1:])
    (tmp_path / "w.bvh").write_text("\n".join(text) + "\n")
    fails(["convert", tmp_path / "w.bvh", "-o", tmp_path / "w.h5"], 1, "line 21")
    assert not (tmp_path / "w.h5").exists()


# ----------------------------------------------------------------------------- HDF5 layouts


def damaged_copy(run: Path, data_dir: Path, tmp_path: Path, damage) -> Path:
    from mocap_seq2seq.data.store import SUBJECT86_FILE

    copy = tmp_path / "damaged.h5"
    shutil.copy(data_dir / SUBJECT86_FILE, copy)
    with h5py.File(copy, "a") as handle:
        damage(handle["sequences"]["01"])
    return copy


def _drop_has_frames(group: h5py.Group) -> None:
    del group.attrs["has_frames"]


def _short_labels(group: h5py.Group) -> None:
    labels = group["labels"][()]
    del group["labels"]
    group["labels"] = labels[: len(labels) // 2]


def _complex_frames(group: h5py.Group) -> None:
    frames = group["frames"][()]
    del group["frames"]
    group["frames"] = frames.astype(np.complex64) + 1j


@pytest.mark.parametrize(
    ("damage", "word"),
    [(_drop_has_frames, "has_frames"), (_short_labels, "labels"), (_complex_frames, "frames")],
    ids=["no has_frames", "short labels", "complex frames"],
)
def test_damaged_sequence_is_refused_by_embed_and_info(
    run: Path, data_dir: Path, tmp_path: Path, damage, word: str
) -> None:
    copy = damaged_copy(run, data_dir, tmp_path, damage)
    out = tmp_path / "e.h5"
    fails(["embed", run, "--data", copy, "--sequence", "01", "-o", out], 1, "damaged.h5", word)
    fails(["info", "--data", copy], 1, "damaged.h5", word)
    assert not out.exists()
    no_partials(tmp_path)


# ----------------------------------------------------------------------------- run files


@pytest.mark.parametrize(
    ("field", "value"),
    [("embedding", 5), ("method", ["kernel"]), ("k_mode", None), ("embedding", "")],
)
def test_damaged_clustering_json(run: Path, tmp_path: Path, field: str, value: object) -> None:
    folder = tmp_path / "cl"
    succeeds(["cluster", run / "embedding.h5", "--k", "3", "-o", folder])
    path = folder / "clustering.json"
    metadata = json.loads(path.read_text())
    metadata[field] = value
    path.write_text(json.dumps(metadata))
    fails(["evaluate", folder], 1, "clustering.json")


# ----------------------------------------------------------------------------- temporaries


def test_a_killed_writers_temporary_is_removed_by_the_next_embed(run: Path, data_dir: Path) -> None:
    stale = run / f".{2**22 + 12345}-abc.partial.embedding.h5"
    stale.write_bytes(b"\0" * 4096)
    live = run / f".{os.getpid()}-abc.partial.embedding.h5"
    live.write_bytes(b"\0" * 16)
    try:
        succeeds(["embed", run, "--data-dir", data_dir, "--overwrite"])
        assert not stale.exists()
        assert live.exists()  # a running writer's temporary is left alone
    finally:
        live.unlink()


# ----------------------------------------------------------------------------- a full disk


def mocap_process(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`mocap ARGS` in a separate process, so that a segmentation fault shows as its exit code."""
    script = (
        "import sys\nfrom mocap_cli.app import main\nsys.argv = ['mocap', *sys.argv[1:]]\nmain()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


@pytest.fixture
def full_disk(tmp_path: Path):
    """A real 64 KiB tmpfs: writing more than that fails with ENOSPC."""
    mount = tmp_path / "full"
    mount.mkdir()
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux (RLIMIT_FSIZE is not ENOSPC)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"this container may not mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def exits_one_clean_line(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stderr)  # 139 / -11: a segfault
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_embed_onto_a_full_disk(run: Path, data_dir: Path, full_disk: Path) -> None:
    target = full_disk / "e.h5"
    done = mocap_process("embed", run, "--data-dir", data_dir, "-o", target)
    exits_one_clean_line(done, "e.h5", "No space left")
    assert list(full_disk.iterdir()) == []


def test_convert_onto_a_full_disk(tmp_path: Path, full_disk: Path) -> None:
    (tmp_path / "big.bvh").write_text(bvh_text(4000))
    target = full_disk / "big.h5"
    done = mocap_process("convert", tmp_path / "big.bvh", "-o", target)
    exits_one_clean_line(done, "big.h5", "No space left")
    assert list(full_disk.iterdir()) == []


# ----------------------------------------------------------------------------- busy files


@pytest.mark.parametrize("which", ["data", "embedding"])
def test_a_file_open_for_writing_elsewhere_is_busy_not_truncated(
    run: Path, data_dir: Path, tmp_path: Path, which: str
) -> None:
    from mocap_seq2seq.data.store import SUBJECT86_FILE

    if which == "data":
        path = tmp_path / "held.h5"
        shutil.copy(data_dir / SUBJECT86_FILE, path)
        args = ["info", "--data", path]
    else:
        path = tmp_path / "held-embedding.h5"
        shutil.copy(run / "embedding.h5", path)
        args = ["cluster", path, "--k", "3", "-o", tmp_path / "cl"]
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import h5py, sys, time\nf = h5py.File(sys.argv[1], 'a')\n"
            "print('open', flush=True)\ntime.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        line = fails(args, 1, "open for writing in another process", path.name)
        assert "truncated" not in line
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


# ----------------------------------------------------------------------------- Ctrl-C


@pytest.mark.parametrize("when", ["before the first checkpoint", "after a checkpoint"])
def test_ctrl_c_in_segment_never_points_to_a_deleted_folder(tmp_path: Path, when: str) -> None:
    import signal
    import time

    (tmp_path / "walk.bvh").write_text(bvh_text(600))
    target = tmp_path / "out"
    run_dir = target / "run"
    log = tmp_path / "stderr.txt"
    wanted = run_dir / ("config.json" if when.startswith("before") else "checkpoint.json")
    with open(log, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "mocap_cli.app", "segment", str(tmp_path / "walk.bvh")]
            + ["--preset", "tiny", "--steps", "100000", "-o", str(target)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=dict(os.environ, COLUMNS="200"),
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    try:
        deadline = time.monotonic() + 240
        while not wanted.is_file() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert wanted.is_file(), log.read_text()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 130, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    assert "mocap train --resume" not in lines[0]
    assert "mocap segment" in lines[0]
    if when.startswith("before"):
        assert "nothing was kept" in lines[0] or str(run_dir) not in lines[0]
        assert str(run_dir) not in lines[0] or run_dir.is_dir()
    else:
        assert str(run_dir) in lines[0] and (run_dir / "checkpoint.json").is_file()


def test_a_human36m_parse_error_names_the_subject_folder(tmp_path: Path) -> None:
    for subject in ("S1", "S9"):
        (tmp_path / "h36m" / subject).mkdir(parents=True)
        good = ",".join(["0.1"] * 99) + "\n"
        (tmp_path / "h36m" / subject / "eating_1.txt").write_text(good * 5)
    (tmp_path / "h36m" / "S9" / "eating_1.txt").write_text(good * 2 + "0.1,abc\n")
    out = tmp_path / "h36m.h5"
    fails(["convert", tmp_path / "h36m", "-o", out], 1, "S9/eating_1.txt line 3")
    assert not out.exists()
    no_partials(tmp_path)
