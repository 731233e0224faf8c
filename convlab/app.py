"""The composition root: command line, settings, state, filter worker, window.

``convlab [IMAGE_OR_VIDEO] [--camera [N]] [--kernel NAME]`` (also ``python -m convlab`` and
``python main.py`` in a checkout)

Nothing here draws or filters; it decides what to open first and installs the safety net: an
exception that escapes any slot is logged and shown in the window, and the app goes on.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import threading
import time
import traceback
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMainWindow

from convlab import __version__
from convlab.engine import calibration, presets
from convlab.engine.assets import resource_path
from convlab.engine.bank_presets import BANK_PRESETS
from convlab.engine.masking import CredentialFilter
from convlab.engine.sources import default_image_path
from convlab.errors import ConvlabError
from convlab.ui.settings import Settings
from convlab.ui.shell.main_window import MainWindow
from convlab.ui.state import PlaygroundState
from convlab.ui.threads import background_jobs
from convlab.ui.threads.filter_worker import FilterWorker, wait_for_stragglers

log = logging.getLogger("convlab")
FIRST_RUN_KERNEL = "outline"  # every edge lights up: the first thing a newcomer sees
FIRST_RUN_BANK = "Edge bank"  # Sobel/Prewitt x and y, Laplacian: maps that differ at a glance


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises ConvlabError instead of exiting (build_window is called by code)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConvlabError(f"Command line: {message}\n{self.format_usage()}")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = _ArgumentParser(
        prog="convlab",
        description="ConvLab: edit a convolution kernel and watch it act live.",
    )
    parser.add_argument("source", nargs="?", help="an image or video file, or a stream URL")
    parser.add_argument(
        "--camera", nargs="?", type=int, const=-1, default=None, metavar="N",
        help="start on webcam N (default: the last camera used, else 0)",
    )  # fmt: skip
    parser.add_argument("--kernel", help="start with this preset kernel, e.g. sobel_x")
    parser.add_argument("--settings", help="settings file to use instead of the per-user one")
    parser.add_argument(
        "--reset-settings", action="store_true", help="ignore the saved layout and kernel"
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser.parse_args(argv)


def build_window(argv: list[str]) -> QMainWindow:
    """The window for this command line, with its source opening on the worker thread.

    Needs a QApplication; shows nothing. Problems with the command line's source or kernel
    are shown in the window (it falls back to the last or the default image), not raised.
    """
    if QApplication.instance() is None:
        raise ConvlabError("build_window needs a QApplication: create one first")
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)
    args = parse_args(list(argv))
    QApplication.instance().setWindowIcon(QIcon(str(resource_path("icons", "convlab.png"))))
    settings = Settings(args.settings)
    if args.reset_settings:
        settings.clear()
    state = PlaygroundState()
    worker = FilterWorker(state.pipeline)
    window = MainWindow(state, worker, settings)
    _restore_state(state, settings)
    if args.kernel:
        _apply_kernel_option(state, args.kernel)
    state.undo_stack.clear()  # the starting point is not an edit to undo
    worker.set_pipeline(state.pipeline)
    _autosave(state, settings, window)
    for problem in settings.problems:
        state.report(problem, "warning")
    _open_first_source(window, args, settings)
    install_exception_hook(window)
    # after the window is up: the collection walks every object made so far (~0.1 s)
    QTimer.singleShot(FREEZE_DELAY_MS, _freeze_startup_objects)
    return window


FREEZE_DELAY_MS = 1500  # the first window is on screen and painted by then


def _freeze_startup_objects() -> None:
    """Move the ~100k objects of Qt, pyqtgraph and the first window out of the collector's
    sight: a collection that walked them all paused the GUI thread for ~20 ms during live
    video. Once per process, a moment after the first window showed (it is not worth
    delaying the window for): later windows (tests) stay collectable."""
    if _process_state.get("frozen"):
        return
    _process_state["frozen"] = True
    gc.collect()
    gc.freeze()


def _restore_state(state: PlaygroundState, settings: Settings) -> None:
    """The last session's kernel and bank; on a first run a kernel whose effect is obvious
    (identity would make the output look like nothing happened) and a bank of edge detectors,
    so the feature-map dock shows what a CNN layer sees instead of an empty panel."""
    saved = settings.get("playground/state")
    restored = state.restore(saved) if saved else set()
    # a saved kernel that cannot be read gets the first-run kernel, not identity; a saved
    # bank that cannot be read stays empty (the warning names it) like an emptied one
    if "kernel" not in restored:
        state.set_kernel(presets.get(FIRST_RUN_KERNEL), text=f"Preset {FIRST_RUN_KERNEL}")
    if not saved:
        make_bank, _ = BANK_PRESETS[FIRST_RUN_BANK]
        state.set_bank(make_bank(), text=FIRST_RUN_BANK)


def _apply_kernel_option(state: PlaygroundState, name: str) -> None:
    if name in presets.names():
        state.set_kernel(presets.get(name), text=f"Preset {name}")
    else:
        state.report(
            f"--kernel {name!r}: no such preset; choose one of {', '.join(presets.names())}",
            "error",
        )


def _autosave(state: PlaygroundState, settings: Settings, window: QMainWindow) -> None:
    """Save the kernel and bank a moment after each change: a crash loses at most a second."""
    timer = QTimer(window, singleShot=True, interval=1000)

    def save() -> None:
        try:
            settings.set("playground/state", state.to_dict())
            settings.sync()
        except (TypeError, ValueError) as error:  # a value JSON cannot hold: keep the old save
            log.warning("autosave skipped: %s", error)

    timer.timeout.connect(save)
    state.pipelineChanged.connect(lambda _pipeline: timer.start())


def _open_first_source(window: MainWindow, args: argparse.Namespace, settings: Settings) -> None:
    fallback = _fallback_image(settings)
    if args.camera is not None:  # --camera alone: the camera used last, found by its name
        index = None if args.camera < 0 else args.camera
        window.source_menu.open_camera(index, fallback=fallback)
    elif args.source:
        window.source_menu.open_spec(args.source, fallback=fallback)
    elif fallback is not None:
        window.source_menu.open_spec(fallback, fallback=_default_image())
    else:
        window.source_menu.open_pattern()


def _fallback_image(settings: Settings) -> str | None:
    last = settings.get("source/last")
    if last and os.path.isfile(last):  # never raises (a name too long, a link loop: False)
        return last
    return _default_image()


def _default_image() -> str | None:
    try:
        return str(default_image_path())
    except ConvlabError:
        return "pattern"


# --------------------------------------------------------------------------------- safety net
class _ErrorRelay(QObject):
    """Carries an error text from any thread to the window on the GUI thread."""

    raised = Signal(str)


_process_state: dict[str, Any] = {"relay": None, "hook": None, "thread_hook": None, "frozen": False}


def install_exception_hook(window: MainWindow) -> None:
    """Route uncaught exceptions (slots, threads) to the log and to ``window``'s banner.

    Each new window becomes the target. The hook that was in place before is still called
    unless it is Python's default printer (a test runner's capture hook, for one, so a bug
    in a slot keeps failing its test).
    """
    relay = _ErrorRelay(window)
    relay.raised.connect(
        lambda text: window.show_message(text, "error"), Qt.ConnectionType.QueuedConnection
    )
    _process_state["relay"] = relay
    if sys.excepthook is not _process_state["hook"]:
        previous_hook = sys.excepthook

        def hook(exc_type, exc, tb) -> None:
            handle_exception(exc_type, exc, tb)
            if previous_hook is not sys.__excepthook__:
                previous_hook(exc_type, exc, tb)

        _process_state["hook"] = sys.excepthook = hook
    if threading.excepthook is not _process_state["thread_hook"]:
        previous_thread_hook = threading.excepthook

        def thread_hook(args: threading.ExceptHookArgs) -> None:
            if args.exc_type is SystemExit:
                return
            handle_exception(args.exc_type, args.exc_value, args.exc_traceback)
            if previous_thread_hook is not threading.__excepthook__:
                previous_thread_hook(args)

        _process_state["thread_hook"] = threading.excepthook = thread_hook


def handle_exception(exc_type, exc, tb) -> None:
    """Log the traceback; show a one-line message in the window; never re-raise."""
    if issubclass(exc_type, KeyboardInterrupt):
        QApplication.quit()
        return
    if isinstance(exc, ConvlabError):
        text = str(exc)
        log.warning("%s", text)
    else:
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("uncaught exception:\n%s", details)
        text = f"Something went wrong: {exc_type.__name__}: {exc}. ConvLab carries on; " \
               "the details are in the log."  # fmt: skip
    relay = _process_state.get("relay")
    try:
        if relay is not None:
            relay.raised.emit(text)
    except RuntimeError:  # the window is already gone
        pass


# --------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    """Run the app: build the window, show it, run the event loop; the exit status."""
    started = time.perf_counter()
    args_list = sys.argv[1:] if argv is None else list(argv)
    try:  # before Qt starts: a wrong option or --version needs no display
        args = parse_args(args_list)
    except ConvlabError as error:
        print(error, file=sys.stderr)
        return 2
    if args.version:
        print(f"convlab {__version__}")
        return 0
    # convolve's costs: from the cache, or measured once the window is up (nothing waits)
    calibration.calibrate_in_background(delay_s=3.0)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:  # stream passwords never reach a log
        handler.addFilter(CredentialFilter())
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ConvLab")
    app.setOrganizationName("ConvLab")
    app.setDesktopFileName("convlab")  # Wayland finds the menu entry's icon by this name
    try:
        window = build_window(args_list)
    except ConvlabError as error:
        print(error, file=sys.stderr)
        return 2
    window.show()
    _quit_on_signals(app, window)
    QTimer.singleShot(
        0, lambda: log.info("window shown after %.2f s", time.perf_counter() - started)
    )
    status = int(app.exec())
    if not workers_finished(timeout=3.0):
        # A thread still inside a native call (a camera driver, a huge decode) cannot be
        # left running: Qt aborts when a running QThread is destroyed, and a Python thread
        # that returns from OpenCV while the interpreter finalizes is unwound into abort().
        # Everything worth keeping is saved by now, so leave without running destructors.
        log.warning("a worker is still blocked in a native call; exiting without it")
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


HELPER_THREAD_PREFIX = "convlab-"  # the names of ConvLab's own helper threads (open, capture)


def workers_finished(timeout: float) -> bool:
    """After the event loop: stop and join every thread that may be inside OpenCV or Qt,
    before Python finalizes and Qt's objects are destroyed; True when none is left.

    The window has stopped its workers on close; what may still run is the convolve
    calibration (stopped between two timings), a lesson on Qt's pool, one-shot jobs (exports,
    camera lookups) on the program's job pool, a filter worker stuck in a driver, and helper
    threads opening or capturing.
    """
    deadline = time.perf_counter() + timeout

    def left() -> float:
        return max(0.0, deadline - time.perf_counter())

    finished = calibration.stop_background(left())
    finished &= QThreadPool.globalInstance().waitForDone(int(left() * 1000))
    finished &= background_jobs.idle(int(left() * 1000))
    finished &= wait_for_stragglers(left())
    for thread in threading.enumerate():
        if thread.name.startswith(HELPER_THREAD_PREFIX):
            thread.join(left())
            finished &= not thread.is_alive()
    return finished


def _quit_on_signals(app: QApplication, window: MainWindow) -> None:
    """Ctrl+C in the terminal or a SIGTERM closes the window properly (workers joined,
    camera released, settings saved) instead of killing the process mid-frame."""

    def close(_signum, _frame) -> None:
        if window.close():
            app.quit()

    signal.signal(signal.SIGINT, close)
    signal.signal(signal.SIGTERM, close)
    # Python handles signals only when it runs; a no-op timer lets it run while Qt waits.
    wake = QTimer(window, interval=200)
    wake.timeout.connect(lambda: None)
    wake.start()
