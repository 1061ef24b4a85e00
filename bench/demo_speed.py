"""Wall time of `mocap demo --trial 01`, start-up included, under each installed backend.

    OMP_NUM_THREADS=1 python bench/demo_speed.py [--repeats 3] [--trial 01]

The goal (issue 8): under 60 s on a 2-core CPU, without --video. Writes
bench/results/demo_speed.md. Run it on an otherwise idle machine.

The shipped models are seed ensembles (issue 19): one more row times the demo on
the ensemble's member 0 alone (one model, the form shipped before), under the
first backend, for what the ensemble costs.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time

from common import RESULTS_DIR, machine_string, markdown_table

from mocap_seq2seq.atomic import write_text


def demo_seconds(backend: str, trial: str, pretrained_dir: str | None) -> float:
    """Wall time of one `mocap demo --trial` in a child process, start-up included."""
    more = ["--pretrained-dir", pretrained_dir] if pretrained_dir else []
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "KERAS_BACKEND": backend}
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "mocap_cli.app", "demo", "--trial", trial,
             "-o", f"{folder}/report", *more],
            env=env,
            check=True,
            capture_output=True,
        )  # fmt: skip
        return time.monotonic() - started


def one_model(trial: str, folder: str) -> str:
    """A pretrained folder holding the trial's member 0 alone, as a single model."""
    from mocap_seq2seq.data.store import normalize_trial
    from mocap_seq2seq.model.ensemble import member_dirs
    from mocap_seq2seq.pretrained import export_run, pretrained_folder, read_manifest

    name = f"trial-{normalize_trial(trial)}"
    entry = read_manifest()[name]
    export_run(member_dirs(pretrained_folder(name))[0], name, {"kind": entry["kind"]}, folder)
    return folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trial", default="01")
    args = parser.parse_args(argv)
    rows = []
    backends = [name for name in ("tensorflow", "jax", "torch") if importlib.util.find_spec(name)]
    with tempfile.TemporaryDirectory() as single:
        runs = [(backend, "shipped (3-seed ensemble)", None) for backend in backends]
        runs.append((backends[0], "member 0 alone (one model)", one_model(args.trial, single)))
        for backend, model, pretrained_dir in runs:
            times = [demo_seconds(backend, args.trial, pretrained_dir) for _ in range(args.repeats)]
            print(f"{backend}, {model}: {[round(t, 1) for t in times]}", flush=True)
            rows.append(
                (
                    backend,
                    model,
                    f"{statistics.median(times):.1f}",
                    f"{min(times):.1f}",
                    f"{max(times):.1f}",
                    args.repeats,
                )
            )
    load = os.getloadavg()[0]
    table = markdown_table(("backend", "model", "median s", "min s", "max s", "runs"), rows)
    text = (
        f"# `mocap demo --trial {args.trial}` wall time\n\n{table}\n\n"
        f"Machine: {machine_string()}; load average {load:.1f} when measured (other work "
        "running makes it slower). Command: `python bench/demo_speed.py`.\n"
    )
    write_text(RESULTS_DIR / "demo_speed.md", text)
    print(text)


if __name__ == "__main__":
    main()
