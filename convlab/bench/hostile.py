"""Hostile inputs against the real window: ``python -m convlab.bench hostile [CASE ...]``.

Each case runs in a fresh process (peak memory is per process): the window opens on a small
picture, a 5 ms GUI timer measures the longest stall, the input is thrown at the window the
way a person would, and the bench waits for the window's answer (its banner, or the new
picture). Then a valid picture is opened, to show the window still works. It prints, per
case: the seconds until the answer, the worst GUI stall, the peak resident memory (VmHWM),
whether the next valid open worked, and the start of the message shown. Goals: stall
<= 100 ms, peak <= 1.5 GB, answer within 5 s. Two cases measure work rather than an answer:
``export_100mp`` exports a 100 MP photo's output (PNG and .npy) and feature maps (answer: until
the last file is written), ``stop_while_loading`` presses Stop while training data loads
(answer: until the training process has ended; goal 0.5 s). Training runs in a process of its
own; its peak counts too. Scratch files go to a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import cv2
import numpy as np

from convlab.bench import bombs
from convlab.bench.report import StallProbe, environment_lines

MARK = '<b style="font-size:90px">BIG</b>'


def _image(path: Path, height: int = 60, width: int = 80) -> Path:
    cv2.imwrite(str(path), np.full((height, width, 3), 120, np.uint8))
    return path


_TRAINING_CASES = ("idx_gzip_billion_labels", "folder_with_jpeg_bomb", "stop_while_loading")


def _prepare(case: str, folder: Path) -> tuple[str, object]:
    """(kind of action, its argument) for ``case``; files are made in ``folder``."""
    if case in _TRAINING_CASES:
        return _prepare_training(case, folder)
    if case in bombs.BOMBS or case == "jpeg_baseline":
        suffix, make = bombs.BOMBS.get(case, (".jpg", bombs.jpeg))
        path = folder / f"bomb{suffix}"
        path.write_bytes(make(16384, 16384) if case == "webp" else make(30000, 30000))
        return "open", str(path)
    if case == "fifo":
        os.mkfifo(folder / "pipe.png")
        return "open", str(folder / "pipe.png")
    if case == "dev_zero":
        (folder / "x.png").symlink_to("/dev/zero")
        return "open", str(folder / "x.png")
    if case == "sparse_6gb":
        with (folder / "giant.png").open("wb") as handle:
            handle.write(bombs.png(16, 16))
            handle.truncate(6 * 1024**3)
        return "open", str(folder / "giant.png")
    if case == "symlink_loop":
        (folder / "loop.png").symlink_to(folder / "loop.png")
        return "open", str(folder / "loop.png")
    if case == "long_markup_file_name":
        name = ("<b>BIG<u>" + "f" * 255)[:245] + ".png"
        return "open", str(_image(folder / "t.png").rename(folder / name))
    if case == "url_20k":
        return "open", "http://" + MARK + "u" * 20_000
    if case in ("photo_100mp", "export_100mp"):
        path = folder / "photo.jpg"
        rng = np.random.default_rng(0)
        tile = rng.integers(0, 256, (1000, 1000, 3), dtype=np.uint8)
        cv2.imwrite(str(path), np.tile(tile, (10, 10, 1)))
        return ("open" if case == "photo_100mp" else "export"), str(path)
    if case == "kernel_name_100k":
        return "kernel_name", MARK + "k" * 100_000
    if case == "kernel_fifo":
        os.mkfifo(folder / "kernel.json")
        return "kernel_file", str(folder / "kernel.json")
    if case == "kernel_deep_json":
        (folder / "deep.json").write_text('{"weights": ' + "[" * 100_000 + "]" * 100_000 + "}")
        return "kernel_file", str(folder / "deep.json")
    raise SystemExit(f"unknown case {case!r}")


def _prepare_training(case: str, folder: Path) -> tuple[str, object]:
    """The cases thrown at the Train tab's data choice: (kind of action, its argument)."""
    if case == "idx_gzip_billion_labels":
        sizes = b"".join(side.to_bytes(4, "big") for side in (2, 28, 28))
        (folder / "images").write_bytes(bytes([0, 0, 8, 3]) + sizes + bytes(2 * 784))
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip: 64 MB of zeros in ~64 kB
        parts = [packer.compress(bytes([0, 0, 8, 1]) + (10**9).to_bytes(4, "big"))]
        parts += [packer.compress(bytes(1 << 20)) for _ in range(64)]
        (folder / "labels.gz").write_bytes(b"".join([*parts, packer.flush()]))
        return "train_idx", (str(folder / "images"), str(folder / "labels.gz"))
    if case == "folder_with_jpeg_bomb":
        for name, value in (("dark", 20), ("light", 230)):
            (folder / "classes" / name).mkdir(parents=True)
            for index in range(5):
                _image(folder / "classes" / name / f"{index}.png").write_bytes(
                    cv2.imencode(".png", np.full((28, 28), value, np.uint8))[1].tobytes()
                )
        (folder / "classes" / "dark" / "bomb.jpg").write_bytes(bombs.jpeg(30000, 30000))
        (folder / "classes" / "light" / "bomb.png").write_bytes(bombs.png(30000, 30000))
        return "train_folder", str(folder / "classes")
    # stop_while_loading: 2 x 400 photo-sized pictures, loading them takes many seconds
    rng = np.random.default_rng(1)
    for name in ("dark", "light"):
        (folder / "many" / name).mkdir(parents=True)
        picture = cv2.imencode(".jpg", rng.integers(0, 256, (1200, 1600, 3), np.uint8))[1]
        for index in range(400):
            (folder / "many" / name / f"{index}.jpg").write_bytes(picture.tobytes())
    return "stop_loading", str(folder / "many")


CASES = (
    *sorted(bombs.BOMBS), "jpeg_baseline", "fifo", "dev_zero", "sparse_6gb", "symlink_loop",
    "long_markup_file_name", "url_20k", "photo_100mp", "kernel_name_100k", "kernel_fifo",
    "kernel_deep_json", "idx_gzip_billion_labels", "folder_with_jpeg_bomb", "stop_while_loading",
    "export_100mp",
)  # fmt: skip


def _peak_mb() -> float:
    """This process's peak resident memory, or a training process's, whichever is larger."""
    import resource  # Unix only, like the bench

    status = Path("/proc/self/status").read_text()
    own = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kB on Linux
    return max(own, children, _CHILD_PEAK[0]) / 1024


_CHILD_PEAK = [0]  # kB: the largest peak seen of a child process still running


def _watch_children(stop: threading.Event) -> None:
    """Note the peak memory of this process's children (training runs in one) while they run:
    a child killed by Stop is never waited for by ``getrusage``."""
    tasks = Path(f"/proc/{os.getpid()}/task")
    while not stop.wait(0.05):
        try:
            pids = {p for t in tasks.iterdir() for p in (t / "children").read_text().split()}
        except OSError:
            continue
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"VmHWM:\s+(\d+)", status)
            if found:
                _CHILD_PEAK[0] = max(_CHILD_PEAK[0], int(found.group(1)))


class _Window:
    """The window under test and the ways of waiting on it."""

    def __init__(self, app, window) -> None:
        self.app, self.window = app, window

    @classmethod
    def started(cls, folder: Path) -> _Window:
        """A fresh window on a small picture, settings in ``folder``, in its steady state."""
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication

        from convlab.app import build_window

        app = QApplication.instance() or QApplication([])
        os.environ["CONVLAB_SETTINGS"] = str(folder / "settings.ini")
        window = build_window([str(_image(folder / "start.png"))])
        window.resize(1200, 800)
        window.show()
        under_test = cls(app, window)
        under_test.spin_until(lambda: window.last_result is not None, 10)
        # measure the steady state: start-up's one-off convolve calibration (a background thread
        # a few seconds after launch) would otherwise compete with the input for the GIL
        under_test.spin_until(lambda: False, 3.5)
        threads = threading.enumerate
        under_test.spin_until(lambda: all(t.name != "convolve-calibration" for t in threads()), 60)
        return under_test

    def throw(self, kind: str, argument, answered, folder: Path) -> float | None:
        """Throw the prepared input at the window the way a person would; seconds until the
        window answered (None if it did not in time)."""
        from convlab.engine.kernels import Kernel

        window = self.window
        if kind == "open":
            return self.open(argument, answered)
        if kind == "export":
            return self.export(folder)
        if kind == "kernel_name":
            window.state.set_kernel(Kernel([[0, 1, 0], [1, -4, 1], [0, 1, 0]], name=argument))
            return self.spin_until(lambda: window.last_result.generation
                                   >= window.state.pipeline.generation, 30)  # fmt: skip
        if kind == "kernel_file":
            window.kernel_panel.actions_bar.load_from(argument)
            return self.spin_until(answered, 30)
        return self.train(kind, argument, answered)

    def spin_until(self, test, timeout: float) -> float | None:
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            self.app.processEvents()
            if test():
                return time.perf_counter() - started
            time.sleep(0.002)
        return None

    def open(self, spec: str, answered, timeout: float = 30) -> float | None:
        window = self.window
        name = Path(spec).name if "://" not in spec else ""
        window.source_menu.open_spec(spec)
        opened = lambda: window.source_info is not None and window.source_info.name == name  # noqa: E731
        return self.spin_until(lambda: answered() or (name and opened()), timeout)

    def export(self, folder: Path) -> float | None:
        """The output as PNG and .npy, then every feature map as both, one after the other;
        the seconds until the last is written (None if one failed or took too long)."""
        window, started = self.window, time.perf_counter()
        done: list[object] = []
        window.source_menu.exportFinished.connect(done.append)
        runner = window.maps_panel.exporter
        runner.finished.connect(done.append)
        runner.failed.connect(lambda text: done.append(None))
        steps = (
            lambda: window.source_menu.export_png(str(folder / "output.png")),
            lambda: window.source_menu.export_npy(str(folder / "output.npy")),
            lambda: window.maps_panel.export_to(folder),
        )
        for count, step in enumerate(steps, 1):
            step()
            if self.spin_until(lambda n=count: len(done) >= n, 240) is None or None in done:
                return None
        return time.perf_counter() - started

    def train(self, kind: str, argument, answered) -> float | None:
        tab = self.window.training_tab
        tab.data.set_kind("idx" if kind == "train_idx" else "folder")
        if kind == "train_idx":
            tab.data.images_edit.setText(argument[0])
            tab.data.labels_edit.setText(argument[1])
        else:
            tab.data.folder_edit.setText(argument)
        tab.train_button.click()
        if kind == "stop_loading":  # Stop while the pictures load: how long until it ends
            self.spin_until(lambda: False, 3.0)  # the process has started and is loading
            asked = time.perf_counter()
            tab.stop_button.click()
            ended = self.spin_until(lambda: not tab.is_training() and not tab.session.running(), 10)
            return None if ended is None else time.perf_counter() - asked
        seconds = self.spin_until(answered, 60)
        tab.stop_button.click()
        self.spin_until(lambda: not tab.is_training(), 10)
        return seconds


def _child(case: str) -> dict:
    """Runs in the child process: one case against a fresh window."""
    folder = Path(tempfile.mkdtemp(prefix="convlab-hostile-"))
    under_test = _Window.started(folder)
    window, spin_until = under_test.window, under_test.spin_until
    kind, argument = _prepare(case, folder)
    banner_before = window.banner.text()
    answered = lambda: window.banner.text() not in ("", banner_before)  # noqa: E731
    if kind == "export":  # the picture is opened first (its own row measures that)
        under_test.open(argument, answered, 120)
        spin_until(lambda: False, 1.0)
    width = window.width()
    stall = StallProbe()
    watching = threading.Event()
    threading.Thread(target=_watch_children, args=(watching,), daemon=True).start()
    seconds = under_test.throw(kind, argument, answered, folder)
    spin_until(lambda: False, 0.3)
    stall_s = stall.stop()
    watching.set()
    after = _image(folder / "after.png", 50, 70)
    window.source_menu.open_spec(str(after))
    next_ok = spin_until(lambda: window.source_info is not None
                         and window.source_info.name == "after.png", 10) is not None  # fmt: skip
    message = window.banner.text().replace("\n", " ")
    window.close()
    under_test.app.processEvents()
    shutil.rmtree(folder, ignore_errors=True)  # an export case leaves gigabytes there
    return {
        "case": case,
        "answer_s": seconds,
        "stall_ms": stall_s * 1000,
        "peak_mb": _peak_mb(),
        "width_kept": window.width() == width,
        "next_open": next_ok,
        "message": message,
    }


def run(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m convlab.bench hostile",
                                     description=__doc__.splitlines()[0])  # fmt: skip
    parser.add_argument("cases", nargs="*", choices=[[], *CASES], default=[])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args(args)
    if options.child:
        print(json.dumps(_child(options.child)))
        return 0
    if not sys.platform.startswith("linux"):
        print("the hostile-input bench uses named pipes, /dev/zero and /proc: Linux only")
        return 0
    for line in environment_lines():
        print(line)
    print(f"{'case':<26} {'answer':>7} {'stall':>8} {'peak':>8} {'width':>6} {'next':>5}  message")
    for case in options.cases or CASES:
        child = subprocess.run(
            [sys.executable, "-m", "convlab.bench", "hostile", "--child", case],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        lines = [line for line in child.stdout.splitlines() if line.startswith("{")]
        if not lines:
            print(f"{case:<26} failed: {child.stderr.strip().splitlines()[-1:]}")
            continue
        row = json.loads(lines[-1])
        answer = "-" if row["answer_s"] is None else f"{row['answer_s']:.2f} s"
        width = "kept" if row["width_kept"] else "GREW"
        next_open = "ok" if row["next_open"] else "NO"
        print(f"{case:<26} {answer:>7} {row['stall_ms']:>5.0f} ms {row['peak_mb']:>5.0f} MB "
              f"{width:>6} {next_open:>5}  {row['message'][:90]}")  # fmt: skip
    return 0
