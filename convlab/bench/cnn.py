"""Benchmark of the numpy CNN: ``python -m convlab.bench cnn [options]``.

Measures lenet() training (forward + backward + Adam step) and inference throughput at a
batch of 64, next to the same model in PyTorch in the same run when torch is importable, and
prints the ratios: with one thread each, two threads each, each library's defaults, and the
defaults while another process keeps one core busy (goal: >= 0.5x PyTorch's training there
too). With ``--synthetic`` it also trains lenet() only on generated digits and scores it on the
10,000 real MNIST test digits (``--mnist DIR``).

Options:
  --batch N          batch size (default 64)
  --seconds S        time per measurement round (default 1.0)
  --rounds N         interleaved rounds per case, the median is kept (default 5)
  --synthetic        also run the synthetic-digits -> real-MNIST experiment
  --synthetic-count  number of generated training digits (default 30000)
  --epochs N         epochs for that experiment (default 5)
  --mnist DIR        folder with t10k-images-idx3-ubyte.gz (needed by --synthetic)
  --output FILE      also write the report to FILE
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from convlab.bench.report import environment_lines, load_average, save_report
from convlab.cnn import Adam, cross_entropy, lenet
from convlab.cnn.blas import DEFAULT_THREADS
from convlab.cnn.data import load_idx, synthetic_digits
from convlab.cnn.train import train

ROUNDS = 3


def _parse(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m convlab.bench cnn")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--synthetic-count", type=int, default=30_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--mnist", type=Path, help="folder with the MNIST test set (.gz IDX)")
    parser.add_argument("--output", type=Path)
    return parser.parse_args(args)


def _images_per_second(
    steps: list[Callable[[], None]], batch: int, seconds: float, rounds: int
) -> list[float]:
    """Median images/s of each step function over interleaved timed rounds (a busy spell on
    the shared machine then hits every side alike)."""
    for step in steps:
        step()  # warm up caches and allocators
    rates: list[list[float]] = [[] for _ in steps]
    for _ in range(rounds):
        for index, step in enumerate(steps):
            count, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                step()
                count += 1
            rates[index].append(count * batch / (time.perf_counter() - started))
    return [statistics.median(values) for values in rates]


@contextlib.contextmanager
def busy_core(on: bool) -> Iterator[None]:
    """Another process spinning on one core while the context is open (as a video call, a
    browser or a compiler does on a student's laptop)."""
    if not on:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)  # let it start spinning
        yield
    finally:
        spinner.kill()
        spinner.wait()


def _numpy_steps(
    batch: int, threads: int | str | None
) -> tuple[Callable[[], None], Callable[[], None]]:
    """Train and inference steps of lenet(); ``threads`` is the model's BLAS threads
    ("default": what Sequential does by itself, None: BLAS's own setting)."""
    rng = np.random.default_rng(0)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, batch)
    model = lenet()
    if threads != "default":
        model.threads = threads
    optimizer = Adam(model)

    def train_step() -> None:
        _, dlogits = cross_entropy(model.forward(x, training=True), labels)
        model.backward(dlogits, input_grad=False)
        optimizer.step()

    return train_step, lambda: model.forward(x)


def _torch_steps(batch: int, torch) -> tuple[Callable[[], None], Callable[[], None]]:
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10),
    )  # fmt: skip
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    x = torch.rand((batch, 1, 28, 28), generator=generator)
    labels = torch.randint(0, 10, (batch,), generator=generator)

    def train_step() -> None:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), labels).backward()
        optimizer.step()

    def infer() -> None:
        with torch.no_grad():
            model(x)

    return train_step, infer


# (label, numpy threads, torch threads, one core busy); "default" = the library's own choice
CASES = (
    ("1 thread each", 1, 1, False),
    ("2 threads each", 2, 2, False),
    ("defaults", "default", "default", False),
    ("defaults, 1 core busy", "default", "default", True),
    ("2 threads each, 1 core busy", 2, 2, True),
)

BUSY_GOAL_CASE, BUSY_GOAL = "defaults, 1 core busy", 0.5


def _throughput(options: argparse.Namespace, report: Callable[[str], None]) -> None:
    try:
        import torch
    except ImportError:
        torch = None
    report(
        f"torch {torch.__version__} ({torch.get_num_threads()} threads by default)"
        if torch
        else "torch not installed: numpy figures only"
    )
    batch = options.batch
    report(
        f"\nlenet() at batch {batch}, images/s, median of {options.rounds} interleaved rounds of "
        f"{options.seconds:.1f} s; numpy's default: Sequential.threads = {DEFAULT_THREADS}"
    )
    header = (
        f"{'case':28}  {'numpy train':>11}  {'torch train':>11}  {'ratio':>6}  "
        f"{'numpy infer':>11}  {'torch infer':>11}  {'ratio':>6}"
    )
    report(header)
    torch_default = torch.get_num_threads() if torch else None
    verdicts: list[str] = []
    for label, numpy_threads, torch_threads, busy in CASES:
        steps = list(_numpy_steps(batch, numpy_threads))
        if torch is not None:
            torch.set_num_threads(torch_default if torch_threads == "default" else torch_threads)
            steps += list(_torch_steps(batch, torch))
        with busy_core(busy):
            rates = _images_per_second(steps, batch, options.seconds, options.rounds)
        if torch is not None:
            torch.set_num_threads(torch_default)
            train, infer = rates[0] / rates[2], rates[1] / rates[3]
            report(
                f"{label:28}  {rates[0]:11.0f}  {rates[2]:11.0f}  {train:5.2f}x  "
                f"{rates[1]:11.0f}  {rates[3]:11.0f}  {infer:5.2f}x"
            )
            if label == BUSY_GOAL_CASE:
                verdicts.append(
                    f"goal: training with the defaults and one core busy >= {BUSY_GOAL}x "
                    f"PyTorch: {train:.2f}x, {'ok' if train >= BUSY_GOAL else 'MISS'}"
                )
        else:
            report(f"{label:28}  {rates[0]:11.0f}  {'-':>11}  {'-':>6}  {rates[1]:11.0f}")
    for verdict in verdicts:
        report(verdict)


def _synthetic_to_real(options: argparse.Namespace, report: Callable[[str], None]) -> None:
    if options.mnist is None:
        report("\nsynthetic -> real MNIST: skipped, give the MNIST test set with --mnist DIR")
        return
    images_path = options.mnist / "t10k-images-idx3-ubyte.gz"
    if not images_path.exists():
        report(f"\nsynthetic -> real MNIST: skipped, no {images_path}")
        return
    real_images, real_labels = load_idx(images_path, options.mnist / "t10k-labels-idx1-ubyte.gz")
    started = time.perf_counter()
    images, labels = synthetic_digits(options.synthetic_count, seed=0)
    generated = time.perf_counter() - started
    model = lenet(seed=0)
    started = time.perf_counter()
    for _ in train(
        model, Adam(model, lr=2e-3), images, labels, epochs=options.epochs, batch_size=64,
        seed=0, augment=True, progress_interval=1e9,
    ):  # fmt: skip
        pass
    trained = time.perf_counter() - started
    _, accuracy = model.evaluate(real_images, real_labels)
    report(
        f"\nsynthetic -> real MNIST: lenet() trained only on {options.synthetic_count} "
        f"synthetic_digits ({generated:.1f} s to generate), {options.epochs} epochs with "
        f"random shifts ({trained:.1f} s), scores {accuracy:.2%} on the 10,000 real MNIST "
        "test digits"
    )


def run(args: list[str]) -> int:
    options = _parse(args)
    lines: list[str] = []

    def report(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    report(f"# convlab.bench cnn  ({time.strftime('%Y-%m-%d %H:%M:%S')})")
    for line in environment_lines():
        report(line)
    with contextlib.suppress(KeyboardInterrupt):
        _throughput(options, report)
        if options.synthetic:
            _synthetic_to_real(options, report)
    report(f"\nat the end: {load_average()}")
    save_report(lines, options.output)
    return 0
