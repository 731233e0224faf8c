"""Benchmark of the numpy CNN: ``python -m convlab.bench cnn [options]``.

Measures lenet() training (forward + backward + Adam step) and inference throughput at a
batch of 64, next to the same model in PyTorch in the same run when torch is importable (with
as many torch threads as BLAS threads), and prints the ratio. With ``--synthetic`` it also
trains lenet() only on generated digits and scores it on the 10,000 real MNIST test digits.

Options:
  --batch N          batch size (default 64)
  --seconds S        time per measurement round (default 1.5); the best of 3 rounds is kept
  --threads LIST     BLAS thread counts to try, e.g. "1,2" (default: 1 and the BLAS default;
                     needs threadpoolctl to change anything)
  --synthetic        also run the synthetic-digits -> real-MNIST experiment
  --synthetic-count  number of generated training digits (default 30000)
  --epochs N         epochs for that experiment (default 5)
  --mnist DIR        folder with t10k-images-idx3-ubyte.gz (needed by --synthetic)
  --output FILE      also write the report to FILE
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from convlab.bench.report import environment_lines, load_average
from convlab.cnn import Adam, cross_entropy, lenet
from convlab.cnn.data import load_idx, synthetic_digits
from convlab.cnn.train import blas_threads, train

ROUNDS = 3


def _parse(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m convlab.bench cnn")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--threads", default="")
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--synthetic-count", type=int, default=30_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--mnist", type=Path, help="folder with the MNIST test set (.gz IDX)")
    parser.add_argument("--output", type=Path)
    return parser.parse_args(args)


def _images_per_second(step: Callable[[], None], batch: int, seconds: float) -> float:
    """Best of a few timed rounds: the machine is shared, the best round is the least disturbed."""
    step()  # warm up caches and allocators
    best = 0.0
    for _ in range(ROUNDS):
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            step()
            count += 1
        best = max(best, count * batch / (time.perf_counter() - started))
    return best


def _numpy_steps(batch: int) -> tuple[Callable[[], None], Callable[[], None]]:
    rng = np.random.default_rng(0)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, batch)
    model = lenet()
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


def _blas_description() -> tuple[str, int | None]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed: BLAS details unknown", None
    for library in threadpool_info():  # OpenCV may bring its own OpenBLAS: report numpy's
        if library.get("user_api") == "blas" and "numpy" in library.get("filepath", ""):
            return (
                f"{library.get('internal_api')} {library.get('version')} "
                f"(kernel {library.get('architecture')}, {library.get('num_threads')} threads)",
                int(library.get("num_threads", 1)),
            )
    return "no BLAS library found by threadpoolctl", None


def _throughput(options: argparse.Namespace, report: Callable[[str], None]) -> None:
    try:
        import torch
    except ImportError:
        torch = None
    description, default_threads = _blas_description()
    report(f"numpy {np.__version__}, BLAS: {description}")
    report(
        "OPENBLAS_CORETYPE="
        f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
        f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}; "
        f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}"
    )
    report(f"torch {torch.__version__}" if torch else "torch not installed: numpy figures only")
    counts: list[int | None]
    if default_threads is None:  # threadpoolctl missing: thread counts cannot be changed
        counts = [None]
    elif options.threads:
        counts = [int(value) for value in options.threads.split(",")]
    else:
        counts = sorted({1, default_threads})
    batch = options.batch
    report(f"\nlenet() at batch {batch}, images/s (best of {ROUNDS} x {options.seconds:.1f} s):")
    header = f"{'threads':>7}  {'':9}  {'numpy':>8}  {'torch':>8}  {'numpy/torch':>11}"
    report(header)
    for count in counts:
        with blas_threads(count):
            numpy_train, numpy_infer = _numpy_steps(batch)
            results = {
                "train": [_images_per_second(numpy_train, batch, options.seconds)],
                "inference": [_images_per_second(numpy_infer, batch, options.seconds)],
            }
        if torch is not None:
            previous = torch.get_num_threads()
            torch.set_num_threads(count or previous)
            torch_train, torch_infer = _torch_steps(batch, torch)
            results["train"].append(_images_per_second(torch_train, batch, options.seconds))
            results["inference"].append(_images_per_second(torch_infer, batch, options.seconds))
            torch.set_num_threads(previous)
        label = "default" if count is None else str(count)
        for name, values in results.items():
            if len(values) == 2:
                ratio = f"{values[0] / values[1]:10.2f}x"
                report(f"{label:>7}  {name:9}  {values[0]:8.0f}  {values[1]:8.0f}  {ratio:>11}")
            else:
                report(f"{label:>7}  {name:9}  {values[0]:8.0f}  {'-':>8}  {'-':>11}")


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
    if options.output:
        options.output.write_text("\n".join(lines) + "\n")
    return 0
