"""Benchmark of learning you can see: ``python -m convlab.bench learning [options]``.

Every figure is measured here, beside its baseline in the same run:

- ``fit_kernel``: seconds, steps and the largest weight error for a 3x3 Sobel and a 5x5
  Gaussian on the sample photos (clean and with noise on the target), beside numpy's direct
  least-squares solve of the same problem;
- the Kernel lab's lesson: steps until "found it", and the seconds that takes on screen
  (reports paced to 30 a second);
- the default training run (Train with the defaults): seconds, validation accuracy and the
  conv1 autocorrelation before and after, beside the run as it was (He start, three epochs);
- LeNet-5 against the small CNN on the first 8,000 real MNIST test digits (when present);
- MLP vs CNN: validation accuracy on plain and shuffled pixels, and the 3 px shift test.

Options:
  --repeats N   timed repeats of each fit, the median is printed (default 3)
  --skip NAMES  comma-separated sections to leave out: fit, lesson, default, lenet5, race
  --mnist DIR   folder with t10k-images-idx3-ubyte.gz (default: $CONVLAB_MNIST_DIR, else
                shared/data/mnist beside the source checkout)
  --output FILE also write the report to FILE

Each section says on standard error when it starts; the report (versions, machine and load
first, the load again at the end) is printed when all are done.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from convlab.bench.report import environment_lines, finish_report
from convlab.cnn.anatomy import spatial_autocorrelation
from convlab.cnn.data import MNIST_TEST_FILES, load_idx, mnist_test_dir, pad_to
from convlab.cnn.evaluate import evaluate, first_conv_weights
from convlab.cnn.kernel_fit import fit_kernel, patch_statistics
from convlab.cnn.kernel_lesson import learn_hidden_kernel
from convlab.cnn.model import build_cnn, lenet5, small_cnn
from convlab.cnn.optim import Adam
from convlab.cnn.plan import RunSpec, TrainingPlan
from convlab.cnn.progress import RunTally
from convlab.cnn.train import blas_threads, train
from convlab.engine import presets
from convlab.engine.assets import resource_path
from convlab.engine.convolve import convolve
from convlab.engine.kernels import gaussian_kernel
from convlab.engine.sources import load_image

PHOTOS = ("astronaut.jpg", "chelsea.jpg", "coffee.jpg")
LESSON_REPORTS_PER_S = 30
Report = Callable[[str], None]


def _parse(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m convlab.bench learning")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip", default="")
    parser.add_argument("--mnist", type=Path, default=None)
    parser.add_argument("--output", type=Path)
    return parser.parse_args(args)


def _median_seconds(job: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        result = job()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _direct_solve(image: np.ndarray, target: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The same least-squares problem solved at once (numpy's normal-equation solve)."""
    gram, cross, _, _ = patch_statistics(image, target, shape)
    return np.linalg.solve(gram, cross).reshape(shape)


def bench_fit(options: argparse.Namespace, report: Report) -> None:
    report("\nfit_kernel: gradient descent on one kernel's weights (median of "
           f"{options.repeats}); 'direct' = the normal equations solved at once")  # fmt: skip
    report(f"{'photo':14} {'kernel':14} {'noise':>5} {'steps':>6} {'seconds':>8} "
           f"{'max |w-h|':>10} {'direct s':>9} {'ratio':>6}")  # fmt: skip
    hidden_kernels = {
        "sobel_x 3x3": presets.get("sobel_x").effective,
        "gaussian 5x5": gaussian_kernel(2, 1.0).effective,
    }
    for photo in PHOTOS:
        image = load_image(resource_path("images", photo))
        for name, hidden in hidden_kernels.items():
            clean = convolve(image, hidden)
            for noise in (0.0, 2.0):
                rng = np.random.default_rng(0)
                target = clean + rng.normal(0, noise, clean.shape) if noise else clean
                seconds, history = _median_seconds(
                    lambda image=image, target=target, hidden=hidden: list(
                        fit_kernel(image, target, hidden.shape)
                    ),
                    options.repeats,
                )
                step, _, weights = history[-1]
                direct, _ = _median_seconds(
                    lambda image=image, target=target, hidden=hidden: _direct_solve(
                        image, target, hidden.shape
                    ),
                    options.repeats,
                )
                error = float(np.abs(weights - hidden).max())
                report(f"{photo:14} {name:14} {noise:5.1f} {step:6d} {seconds:8.2f} "
                       f"{error:10.1e} {direct:9.2f} {seconds / direct:6.1f}")  # fmt: skip


def bench_lesson(options: argparse.Namespace, report: Report) -> None:
    report("\nKernel lab lesson on a 200 px copy of the photo (reports shown 30 a second):")
    image = load_image(resource_path("images", "chelsea.jpg"))
    for name, hidden in (
        ("sobel_x 3x3", presets.get("sobel_x").effective),
        ("gaussian 5x5", gaussian_kernel(2, 1.0).effective),
    ):
        for noise in (0.0, 4.0):
            started = time.perf_counter()
            reports = list(learn_hidden_kernel(lambda: image, hidden, noise=noise))
            compute = time.perf_counter() - started
            last = reports[-1]
            within = next(r for r in reports if r.error < 1e-3)
            on_screen = max(compute, len(reports) / LESSON_REPORTS_PER_S)
            report(f"  {name:13} noise {noise:3.1f}: within 1e-3 after {within.step:5d} steps and "
                   f"{within.rounds:2d} look(s); ends at step {last.step}, error {last.error:.1e}; "
                   f"compute {compute:.2f} s, on screen about {on_screen:.1f} s")  # fmt: skip


def _train_to_end(spec: RunSpec, plan: TrainingPlan, dataset) -> float:
    started = time.perf_counter()
    tally = RunTally.start(spec, dataset, plan.settings)
    while not tally.finished:
        tally.advance(dataset, plan.settings)
    return time.perf_counter() - started


def bench_default(options: argparse.Namespace, report: Report) -> None:
    report("\nTrain with the defaults (synthetic digits, small CNN, Adam), as the app trains:")
    plan = TrainingPlan()
    started = time.perf_counter()
    dataset = plan.load_data()
    generated = time.perf_counter() - started
    [spec] = plan.build_runs(dataset)
    recipe = plan.recipe
    old_model = build_cnn(
        recipe.conv_layers, recipe.filters, recipe.kernel_size, recipe.pool,
        dataset.input_shape, dataset.num_classes, seed=recipe.seed, first_layer_start=1.0,
    )  # fmt: skip
    old_plan = replace(plan, settings=replace(plan.settings, epochs=3))
    old = RunSpec("old", old_model, plan.optimizer)
    runs = (
        ("now: small start, 4 epochs", spec, plan),
        ("before: He start, 3 epochs", old, old_plan),
    )
    report(f"  data generated in {generated:.1f} s ({len(dataset.train_labels)} training, "
           f"{len(dataset.val_labels)} validation images)")  # fmt: skip
    for label, run, run_plan in runs:
        before = spatial_autocorrelation(first_conv_weights(run.model))
        seconds = _train_to_end(run, run_plan, dataset)
        after = spatial_autocorrelation(first_conv_weights(run.model))
        accuracy = evaluate(run.model, dataset.val_images, dataset.val_labels).accuracy
        report(f"  {label:28} {seconds:5.1f} s   validation {accuracy:.2%}   conv1 "
               f"autocorrelation {before:+.3f} -> {after:+.3f}")  # fmt: skip


def bench_lenet5(options: argparse.Namespace, report: Report) -> None:
    folder = options.mnist or mnist_test_dir()
    images_path, labels_path = (folder / name for name in MNIST_TEST_FILES)
    if not images_path.exists():
        report(f"\nLeNet-5: skipped, no {images_path} (set CONVLAB_MNIST_DIR or --mnist)")
        return
    images, labels = load_idx(images_path, labels_path)
    report("\nLeNet-5 vs the small CNN: first 8,000 real MNIST test digits, scored on the last "
           "2,000 after each epoch (Adam 0.002, batch 32)")  # fmt: skip
    for name, model, x in (
        ("small CNN (11,274 parameters)", small_cnn(seed=0), images),
        ("LeNet-5 (61,706 parameters, 32x32)", lenet5(seed=0), pad_to(images, 32)),
    ):
        started, line = time.perf_counter(), []
        for progress in train(
            model, Adam(model, lr=2e-3), x[:8000], labels[:8000], epochs=3, batch_size=32,
            validation=(x[8000:], labels[8000:]), seed=0, progress_interval=1e9,
        ):  # fmt: skip
            line.append(f"{progress['val_accuracy']:.1%} ({time.perf_counter() - started:.1f} s)")
        report(f"  {name:36} " + ", ".join(line))


def bench_race(options: argparse.Namespace, report: Report) -> None:
    report("\nMLP vs CNN on the default data (4 epochs): validation accuracy, and on digits "
           "moved 3 px")  # fmt: skip
    default = TrainingPlan()
    for label, plan in (
        ("plain and shuffled pixels", replace(default, experiment="mlp", shuffle_pixels=True)),
        ("shift test, trained with ±2 px jitter",
         replace(default, experiment="mlp", shift_test=True,
                 settings=replace(default.settings, augment=True))),
    ):  # fmt: skip
        dataset = plan.load_data()
        runs = plan.build_runs(dataset)
        tallies = [RunTally.start(spec, dataset, plan.settings) for spec in runs]
        started = time.perf_counter()
        while not all(tally.finished for tally in tallies):
            for tally in tallies:
                if not tally.finished:
                    tally.advance(dataset, plan.settings)
        seconds = time.perf_counter() - started
        cells = []
        for tally in tallies:
            text = f"{tally.spec.name} {tally.val_accuracy:.1%}"
            if tally.shift_accuracy is not None:
                text += f" (3 px: {tally.shift_accuracy:.1%})"
            cells.append(text)
        report(f"  {label} ({seconds:.1f} s): " + " · ".join(cells))


SECTIONS = {
    "fit": bench_fit,
    "lesson": bench_lesson,
    "default": bench_default,
    "lenet5": bench_lenet5,
    "race": bench_race,
}


def run(args: list[str]) -> int:
    options = _parse(args)
    lines = [
        f"# convlab.bench learning  ({time.strftime('%Y-%m-%d %H:%M:%S')})",
        *environment_lines(),
    ]
    skipped = {name.strip() for name in options.skip.split(",") if name.strip()}
    with blas_threads(1):
        for name, section in SECTIONS.items():
            if name not in skipped:
                print(f"measuring {name}...", file=sys.stderr, flush=True)
                section(options, lines.append)
    lines.append("")
    return finish_report(lines, options.output)
