"""One training step as the toolkit runs it, under each backend, against a hand-written JAX step.

    OMP_NUM_THREADS=1 python bench/train_speed.py [--rounds 7] [--steps 20]

The step: GRU 256, batch 16, source 50 / target 25 frames of trial 01's
normalised channels, loss = next-pose MSE + 3 x slowness of the decoder
states (the default objective), Adam (learning rate 1e-3) with global clip
norm 1, float32. The toolkit runs it as `mocap train` does (the trainer's
compiled `train_on_batch`); the hand-written step is a GRU cell of the same
equations as Keras' (reset gate after the recurrent matmul) under
`jax.lax.scan`, Adam written out, all in one `jax.jit`. Before timing, the
hand-written loss is checked against the toolkit's on the same weights.

Every variant runs in its own worker process with the same environment
(thread settings included), is warmed up first (compilation excluded), and
the parent asks the workers for blocks of steps in turn, round after round, so
that the variants share the machine's state (interleaved runs). Reported: the
median step time over all timed steps, the spread (interquartile range), and
the ratio to the hand-written step. Writes bench/results/train_speed.md and
.csv. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS_DIR, machine_string, markdown_table  # noqa: E402

HIDDEN, BATCH, SOURCE, TARGET, SLOWNESS = 256, 16, 50, 25, 3.0
LEARNING_RATE, CLIP_NORM = 1e-3, 1.0
VARIANTS = {  # name -> KERAS_BACKEND of the worker
    "toolkit / tensorflow": "tensorflow",
    "toolkit / jax": "jax",
    "toolkit / torch": "torch",
    "hand-written jax": "jax",
}


def make_batches(path: Path, n_batches: int) -> None:
    """Windows of trial 01 (normalised as training does), saved for every worker."""
    from mocap_seq2seq.data.sources import trial_source
    from mocap_seq2seq.model.windows import fit_normalization, sample_windows

    frames = trial_source("01").frames
    normalized = fit_normalization(frames).transform(frames)
    rng = np.random.default_rng(0)
    source, target = sample_windows(normalized, SOURCE, TARGET, n_batches * BATCH, rng)
    np.savez(path, source=source.astype("float32"), target=target.astype("float32"))


# --------------------------------------------------------------------------- workers


def _toolkit_step(batches: dict[str, np.ndarray]):
    import keras

    from mocap_seq2seq.model.seq2seq import build_seq2seq
    from mocap_seq2seq.model.trainers import make_trainer

    keras.utils.set_random_seed(0)
    n_channels = batches["source"].shape[-1]
    model = build_seq2seq(
        n_channels, hidden_size=HIDDEN, source_length=SOURCE, target_length=TARGET
    )
    trainer = make_trainer(
        model, learning_rate=LEARNING_RATE, clip_norm=CLIP_NORM, slowness=SLOWNESS
    )

    def step(index: int) -> float:
        sl = slice(index * BATCH, (index + 1) * BATCH)
        return trainer.train_on_batch(batches["source"][sl], batches["target"][sl])["loss"]

    return step, model


def _hand_written_step(batches: dict[str, np.ndarray]):
    """The same step in plain JAX, starting from the toolkit model's initial weights."""
    import jax
    import jax.numpy as jnp
    import keras

    _, model = _toolkit_step(batches)  # only for its initial weights and the parity check
    core = next(layer for layer in model.layers if hasattr(layer, "decoder_cell"))
    gru, projection = core.decoder_cell.gru, core.decoder_cell.projection

    def array(variable) -> jnp.ndarray:
        return jnp.asarray(keras.ops.convert_to_numpy(variable))

    params = {
        "kernel": array(gru.kernel),
        "recurrent": array(gru.recurrent_kernel),
        "bias": array(gru.bias),
        "w": array(projection.kernel),
        "b": array(projection.bias),
    }

    def cell(p, h, x_projected):
        # Keras GRUCell, reset_after=True: gates z, r, h; the input and recurrent biases apart.
        # The input's projection comes in precomputed (for the encoder, all steps at once).
        xz, xr, xh = jnp.split(x_projected, 3, axis=-1)
        hz, hr, hh = jnp.split(h @ p["recurrent"] + p["bias"][1], 3, axis=-1)
        z = jax.nn.sigmoid(xz + hz)
        r = jax.nn.sigmoid(xr + hr)
        candidate = jnp.tanh(xh + r * hh)
        return z * h + (1.0 - z) * candidate

    def forward(p, source):
        h0 = jnp.zeros((source.shape[0], HIDDEN), source.dtype)

        def encode(h, x_projected):
            return cell(p, h, x_projected), None

        inputs = jnp.swapaxes(source[:, :-1], 0, 1) @ p["kernel"] + p["bias"][0]
        h, _ = jax.lax.scan(encode, h0, inputs)

        def decode(carry, _):
            h, pose = carry
            h = cell(p, h, pose @ p["kernel"] + p["bias"][0])
            pose = pose + h @ p["w"] + p["b"]
            return (h, pose), (pose, h)

        _, (poses, states) = jax.lax.scan(decode, (h, source[:, -1]), None, length=TARGET)
        return jnp.swapaxes(poses, 0, 1), jnp.swapaxes(states, 0, 1)

    def loss_fn(p, source, target):
        poses, states = forward(p, source)
        mse = jnp.mean(jnp.square(poses - target))
        step = jnp.mean(jnp.square(states[:, 1:] - states[:, :-1]), axis=(1, 2))
        spread = jnp.mean(jnp.var(states, axis=(0, 1)))
        return mse + SLOWNESS * jnp.mean(step / (spread + 1e-6))

    beta1, beta2, epsilon = 0.9, 0.999, 1e-7  # Keras' Adam defaults

    @jax.jit
    def train_step(p, m, v, t, source, target):
        loss, grads = jax.value_and_grad(loss_fn)(p, source, target)
        norm = jnp.sqrt(sum(jnp.sum(jnp.square(g)) for g in jax.tree_util.tree_leaves(grads)))
        scale = jnp.minimum(1.0, CLIP_NORM / (norm + 1e-12))
        grads = jax.tree_util.tree_map(lambda g: g * scale, grads)
        t = t + 1
        m = jax.tree_util.tree_map(lambda m_, g: m_ + (g - m_) * (1 - beta1), m, grads)
        v = jax.tree_util.tree_map(lambda v_, g: v_ + (g * g - v_) * (1 - beta2), v, grads)
        alpha = LEARNING_RATE * jnp.sqrt(1 - beta2**t) / (1 - beta1**t)
        p = jax.tree_util.tree_map(
            lambda p_, m_, v_: p_ - alpha * m_ / (jnp.sqrt(v_) + epsilon), p, m, v
        )
        return p, m, v, t, loss

    # Parity: the hand-written loss on the toolkit's initial weights.
    source0, target0 = batches["source"][:BATCH], batches["target"][:BATCH]
    outputs = model(source0)
    poses, states = (keras.ops.convert_to_numpy(outputs[k]) for k in ("poses", "decoder_states"))
    toolkit_loss = float(np.mean((poses - target0) ** 2)) + SLOWNESS * float(
        np.mean(
            np.mean((states[:, 1:] - states[:, :-1]) ** 2, axis=(1, 2))
            / (np.mean(np.var(states, axis=(0, 1))) + 1e-6)
        )
    )
    hand_loss = float(loss_fn(params, jnp.asarray(source0), jnp.asarray(target0)))
    if abs(hand_loss - toolkit_loss) > 1e-4 * max(1.0, abs(toolkit_loss)):
        raise SystemExit(f"parity check failed: hand {hand_loss} vs toolkit {toolkit_loss}")
    print(json.dumps({"parity": [hand_loss, toolkit_loss]}), flush=True)

    state = {
        "p": params,
        "m": jax.tree_util.tree_map(jnp.zeros_like, params),
        "v": jax.tree_util.tree_map(jnp.zeros_like, params),
        "t": jnp.asarray(0.0),
    }

    def step(index: int) -> float:
        sl = slice(index * BATCH, (index + 1) * BATCH)
        p, m, v, t, loss = train_step(
            state["p"], state["m"], state["v"], state["t"],
            batches["source"][sl], batches["target"][sl],
        )  # fmt: skip
        state.update(p=p, m=m, v=v, t=t)
        return float(loss)  # blocks until the step is done

    return step, model


def worker(variant: str, batches_path: str) -> None:
    """Serve 'run N' requests on stdin: N steps, one JSON list of step times on stdout."""
    loaded = np.load(batches_path)
    batches = {key: loaded[key] for key in ("source", "target")}
    n_batches = batches["source"].shape[0] // BATCH
    make = _hand_written_step if variant == "hand-written jax" else _toolkit_step
    step, _ = make(batches)
    index = 0
    for _ in range(5):  # warm-up: compilation and first-call costs are excluded
        step(index % n_batches)
        index += 1
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        n_steps = int(line.split()[1])
        times = []
        for _ in range(n_steps):
            started = time.perf_counter()
            step(index % n_batches)
            times.append(time.perf_counter() - started)
            index += 1
        print(json.dumps({"times": times}), flush=True)


# --------------------------------------------------------------------------- parent


def _read(process: subprocess.Popen) -> dict:
    while True:
        line = process.stdout.readline()
        if not line:
            raise SystemExit(f"a worker died: {process.args}")
        if line.startswith("{"):
            return json.loads(line)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per round")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--batches", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.batches)
        return
    variants = [
        name for name, backend in VARIANTS.items() if importlib.util.find_spec(backend) is not None
    ]
    threads = os.environ.get("OMP_NUM_THREADS", "(unset)")
    load_before = os.getloadavg()[0]  # the machine is shared: what else was running
    with tempfile.TemporaryDirectory() as folder:
        batches = Path(folder) / "batches.npz"
        make_batches(batches, n_batches=64)
        workers, parity = {}, None
        for name in variants:
            env = {**os.environ, "KERAS_BACKEND": VARIANTS[name], "TF_CPP_MIN_LOG_LEVEL": "2"}
            command = [sys.executable, __file__, "--worker", name, "--batches", str(batches)]
            workers[name] = subprocess.Popen(
                command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
            message = _read(workers[name])  # one at a time: warm-ups do not overlap
            if "parity" in message:
                parity = message["parity"]
                message = _read(workers[name])
            print(f"{name}: warmed up", flush=True)
        times: dict[str, list[float]] = {name: [] for name in variants}
        for round_index in range(args.rounds):
            order = variants if round_index % 2 == 0 else variants[::-1]
            for name in order:
                workers[name].stdin.write(f"run {args.steps}\n")
                workers[name].stdin.flush()
                times[name] += _read(workers[name])["times"]
            print(f"round {round_index + 1}/{args.rounds}", flush=True)
        load_after = os.getloadavg()[0]
        for process in workers.values():
            process.stdin.close()
            process.wait(timeout=60)
    reference = (
        statistics.median(times["hand-written jax"]) if "hand-written jax" in times else None
    )
    rows, records = [], []
    for name in variants:
        values = np.asarray(times[name]) * 1000
        median = float(np.median(values))
        q1, q3 = np.percentile(values, [25, 75])
        ratio = median / (reference * 1000) if reference else float("nan")
        rows.append((name, f"{median:.1f}", f"{q1:.1f}-{q3:.1f}", f"{ratio:.2f}"))
        records.append(
            {"variant": name, "median_ms": round(median, 2), "q1_ms": round(q1, 2),
             "q3_ms": round(q3, 2), "ratio_to_hand_written": round(ratio, 3),
             "n_steps": len(values), "load_before": round(load_before, 2),
             "load_after": round(load_after, 2)}
        )  # fmt: skip
    table = markdown_table(("variant", "median ms/step", "IQR ms", "x hand-written"), rows)
    text = (
        "# Training step: toolkit vs hand-written JAX\n\n"
        f"`OMP_NUM_THREADS={threads} python bench/train_speed.py --rounds {args.rounds} "
        f"--steps {args.steps}` on {machine_string()}.\n\n"
        f"GRU {HIDDEN}, batch {BATCH}, source {SOURCE} / target {TARGET}, MSE + {SLOWNESS:g} x "
        f"slowness, Adam {LEARNING_RATE:g} with global clip norm {CLIP_NORM:g}, float32; "
        f"{args.rounds} interleaved rounds of {args.steps} steps after 5 warm-up steps. "
        f"1-minute load average {load_before:.2f} before the workers started and "
        f"{load_after:.2f} after the timed rounds (one step at a time runs, about 1).\n"
        + (
            f"Parity: hand-written loss {parity[0]:.6f}, toolkit {parity[1]:.6f} "
            "on the same initial weights.\n\n"
            if parity
            else "\n"
        )
        + table
        + "\n"
    )
    from mocap_seq2seq.atomic import write_text

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    write_text(RESULTS_DIR / "train_speed.md", text)
    with open(RESULTS_DIR / "train_speed.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    print(text)


if __name__ == "__main__":
    main()
