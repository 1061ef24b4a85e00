"""Time and peak memory of `mocap convert` on a long BVH, and of embedding a long sequence.

Two measurements at each size (1e5 and 1e6 frames by default), each in a fresh
child process so that the peak resident memory is that of the work alone:

* convert: a BVH of N frames is written from the shipped data (the CMU 38-joint
  skeleton of ``data/cmu_actions.h5``, whose 31 joints with children make 96
  channels; the motion is every CMU action take's frames, turned into ZXY Euler
  angles in degrees and tiled up to N), then ``mocap convert FILE -o OUT.h5``
  runs;
* embed: ``pretrained/trial-01`` embeds subject 86 trial 01 tiled up to N frames
  (96 input channels) and writes the embedding file (:func:`embed_sequence` then
  :func:`write_embedding`, what ``mocap embed`` does).

Peak memory is the OS's own accounting: a small wrapper process runs the work
as its only child and reports ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``.
``--code DIR`` chooses the checkout whose ``mocap_seq2seq`` runs, so the same
script measures the code before a change (another worktree) and after it.

    python bench/convert_scale.py --label after
    python bench/convert_scale.py --label before --code /path/to/main/checkout

Rows are appended to ``bench/results/convert_scale.csv``; the Markdown table
``bench/results/convert_scale.md`` is rewritten from all rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parent.parent
RESULTS = REPOSITORY / "bench" / "results"
CSV_PATH = RESULTS / "convert_scale.csv"
MD_PATH = RESULTS / "convert_scale.md"
FIELDS = ("label", "commit", "task", "n_frames", "seconds", "frames_per_second", "peak_gb")

EMBED_CHILD = """
import json, sys, time
import numpy as np
from mocap_seq2seq.data.store import read_sequence
from mocap_seq2seq.embedding import embed_sequence, write_embedding
from mocap_seq2seq.model.training import load_run
n_frames, data, run, output = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
model, normalization, _ = load_run(run)
base = read_sequence(data, "01").frames.astype(np.float32)
frames = np.resize(base, (n_frames, base.shape[1]))  # the trial repeated, then cut
start = time.perf_counter()
embedding = embed_sequence(model, normalization, frames)
write_embedding(output, embedding, overwrite=True)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def _seed0_model() -> Path:
    """pretrained/trial-01's seed-0 model: member-0 of the seed ensemble shipped since
    issue 19, the single model this benchmark measured before."""
    folder = REPOSITORY / "pretrained" / "trial-01"
    return folder / "member-0" if (folder / "ensemble.json").is_file() else folder


def write_long_bvh(path: Path, n_frames: int) -> Path:
    """A BVH of ``n_frames`` frames: the CMU skeleton and its action takes, tiled."""
    sys.path.insert(0, str(REPOSITORY))
    from mocap_seq2seq.data.store import read_sequence, read_skeleton, sequence_names
    from mocap_seq2seq.motion.rotations import expmap_to_euler

    data = REPOSITORY / "data" / "cmu_actions.h5"
    skeleton = read_skeleton(data)
    assert skeleton is not None and skeleton.expmap_columns is not None
    parents = skeleton.parents.tolist()
    children: dict[int, list[int]] = {}
    for joint, parent in enumerate(parents):
        children.setdefault(parent, []).append(joint)
    lines = ["HIERARCHY"]
    turning: list[int] = []  # joints with rotation channels, in file order

    def block(joint: int, depth: int) -> None:
        pad = "  " * depth
        offset = " ".join(f"{value:.5f}" for value in skeleton.offsets[joint])
        if joint not in children:
            lines.extend([f"{pad}End Site", f"{pad}{{", f"{pad}  OFFSET {offset}", f"{pad}}}"])
            return
        turning.append(joint)
        lines.append(f"{pad}{'ROOT' if joint == 0 else 'JOINT'} {skeleton.joint_names[joint]}")
        lines.extend([f"{pad}{{", f"{pad}  OFFSET {offset}"])
        positions = "Xposition Yposition Zposition " if joint == 0 else ""
        count = 6 if joint == 0 else 3
        lines.append(f"{pad}  CHANNELS {count} {positions}Zrotation Xrotation Yrotation")
        for child in children[joint]:
            block(child, depth + 1)
        lines.append(f"{pad}}}")

    block(0, 0)
    frames = np.concatenate(
        [read_sequence(data, name).frames for name in sequence_names(data, with_frames=True)]
    ).astype(np.float64)
    columns = [frames[:, 0:3]]
    for joint in turning:
        # The reader stores the exp map of L.T; exp(-e) is that transpose, so L's angles:
        expmap = frames[:, skeleton.expmap_columns[joint]]
        columns.append(expmap_to_euler(-expmap, "ZXY", degrees=True))
    values = np.concatenate(columns, axis=1)
    rows = [" ".join(f"{value:.6f}" for value in row) for row in values]
    lines.extend(["MOTION", f"Frames: {n_frames}", "Frame Time: 0.0083333"])
    with path.open("w") as handle:
        handle.write("\n".join(lines) + "\n")
        for start in range(0, n_frames, len(rows)):
            handle.write("\n".join(rows[: n_frames - start]) + "\n")
    return path


def measured(command: list[str], code: Path) -> tuple[float, float, str]:
    """Wall seconds, peak resident GB and stdout of ``command`` run as the only child."""
    environment = dict(os.environ, PYTHONPATH=str(code), OMP_NUM_THREADS="1")
    wrapper = [sys.executable, str(Path(__file__).resolve()), "--child", "--", *command]
    start = time.perf_counter()
    # The child runs in the measured checkout: `python -c` puts its working folder
    # first on sys.path, which would otherwise shadow PYTHONPATH.
    result = subprocess.run(
        wrapper, env=environment, cwd=code, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command[:4]} failed:\n{result.stdout}\n{result.stderr}")
    *output, peak_line = result.stdout.strip().splitlines()
    return seconds, json.loads(peak_line)["peak_kb"] / 1024**2, "\n".join(output)


def run_child(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    sys.stderr.write(result.stderr)
    sys.stdout.write(result.stdout)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kB on Linux
    print(json.dumps({"peak_kb": peak}))
    raise SystemExit(result.returncode)


def commit_of(code: Path) -> str:
    result = subprocess.run(
        ["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(code), "status", "--porcelain", "mocap_seq2seq"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return result.stdout.strip() + ("+dirty" if dirty else "")


def write_markdown() -> None:
    with CSV_PATH.open() as handle:
        rows = list(csv.DictReader(handle))
    lines = [
        "# Conversion and embedding at scale",
        "",
        "`python bench/convert_scale.py` (see its docstring). Peak memory is the child",
        "process's maximum resident set (`getrusage(RUSAGE_CHILDREN).ru_maxrss`); the",
        "BVH has 96 channels (CMU 38-joint skeleton), the embedding uses",
        "`pretrained/trial-01` (GRU 256, 50/25) on subject 86 trial 01 tiled to length.",
        "2-core CPU, `OMP_NUM_THREADS=1`, other jobs sharing the machine.",
        "",
        "| code | commit | task | frames | seconds | frames/s | peak GB |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['label']} | {row['commit']} | {row['task']} | {int(row['n_frames']):,} | "
            f"{float(row['seconds']):.1f} | {float(row['frames_per_second']):,.0f} | "
            f"{float(row['peak_gb']):.2f} |"
        )
    MD_PATH.write_text("\n".join(lines) + "\n")


def main() -> None:
    if "--child" in sys.argv:
        run_child(sys.argv[sys.argv.index("--") + 1 :])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", required=True, help="row label, e.g. before / after")
    parser.add_argument("--code", type=Path, default=REPOSITORY, help="checkout to measure")
    parser.add_argument("--frames", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--tasks", nargs="+", default=["convert", "embed"])
    parser.add_argument("--scratch", type=Path, default=Path(tempfile.gettempdir()))
    arguments = parser.parse_args()
    code = arguments.code.resolve()
    commit = commit_of(code)
    RESULTS.mkdir(parents=True, exist_ok=True)
    new_file = not CSV_PATH.exists()
    for n_frames in arguments.frames:
        for task in arguments.tasks:
            output = arguments.scratch / f"convert_scale_{task}_{n_frames}.h5"
            if task == "convert":
                bvh = arguments.scratch / f"convert_scale_{n_frames}.bvh"
                if not bvh.exists():
                    write_long_bvh(bvh, n_frames)
                command = [
                    sys.executable,
                    "-c",
                    "from mocap_cli.app import main; main()",
                    "convert",
                    str(bvh),
                    "-o",
                    str(output),
                    "--overwrite",
                ]
                seconds, peak, _ = measured(command, code)
            else:
                command = [
                    sys.executable,
                    "-c",
                    EMBED_CHILD,
                    str(n_frames),
                    str(REPOSITORY / "data" / "cmu_subject86.h5"),
                    str(_seed0_model()),
                    str(output),
                ]
                _, peak, printed = measured(command, code)
                seconds = json.loads(printed.splitlines()[-1])["seconds"]
            row = {
                "label": arguments.label,
                "commit": commit,
                "task": task,
                "n_frames": n_frames,
                "seconds": f"{seconds:.2f}",
                "frames_per_second": f"{n_frames / seconds:.0f}",
                "peak_gb": f"{peak:.3f}",
            }
            print(row, flush=True)
            with CSV_PATH.open("a", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=FIELDS)
                if new_file:
                    writer.writeheader()
                    new_file = False
                writer.writerow(row)
            output.unlink(missing_ok=True)
    write_markdown()


if __name__ == "__main__":
    main()
