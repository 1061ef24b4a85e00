"""Wall time of `mocap demo --trial 01`, start-up included, under each installed backend.

    OMP_NUM_THREADS=1 python bench/demo_speed.py [--repeats 3] [--trial 01]

The goal (issue 8): under 60 s on a 2-core CPU, without --video. Writes
bench/results/demo_speed.md. Run it on an otherwise idle machine.
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trial", default="01")
    args = parser.parse_args(argv)
    rows = []
    for backend in ("tensorflow", "jax", "torch"):
        if importlib.util.find_spec(backend) is None:
            continue
        times = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as folder:
                env = {**os.environ, "KERAS_BACKEND": backend}
                started = time.monotonic()
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "mocap_cli.app",
                        "demo",
                        "--trial",
                        args.trial,
                        "-o",
                        f"{folder}/report",
                    ],
                    env=env,
                    check=True,
                    capture_output=True,
                )
                times.append(time.monotonic() - started)
        print(f"{backend}: {[round(t, 1) for t in times]}", flush=True)
        rows.append(
            (
                backend,
                f"{statistics.median(times):.1f}",
                f"{min(times):.1f}",
                f"{max(times):.1f}",
                args.repeats,
            )
        )
    load = os.getloadavg()[0]
    table = markdown_table(("backend", "median s", "min s", "max s", "runs"), rows)
    text = (
        f"# `mocap demo --trial {args.trial}` wall time\n\n{table}\n\n"
        f"Machine: {machine_string()}; load average {load:.1f} when measured (other work "
        "running makes it slower). Command: `python bench/demo_speed.py`.\n"
    )
    write_text(RESULTS_DIR / "demo_speed.md", text)
    print(text)


if __name__ == "__main__":
    main()
