"""A local MJPEG-over-HTTP stream whose frames carry their own number, for tests and benchmarks.

Phone-as-webcam apps and IP cameras serve ``multipart/x-mixed-replace`` JPEG streams; this
server does the same on 127.0.0.1 at a steady rate. Each frame has its number drawn into it as
two rows of black and white squares (the number and its complement, so a misread is detected),
big enough to survive JPEG and a resize. ``read_frame_number`` gets it back from whatever the
window shows; ``sent_at`` says when that frame left the server, which gives the end-to-end
latency. The server can die (connections cut: a crashed app, a pulled cable), hang (the
connection stays open but nothing comes: a frozen camera) and come back on the same port.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

from convlab.engine.patterns import MovingPattern

BITS = 16
_CELL = 24  # pixels per square: survives JPEG, a 2x downscale, and colour conversion
_MARGIN = 8
_BOUNDARY = "convlabframe"


def code_size() -> tuple[int, int]:
    """(width, height) in pixels of the number's two rows of squares, with their margin."""
    return 2 * _MARGIN + BITS * _CELL, 2 * _MARGIN + 2 * _CELL


def draw_frame_number(image: np.ndarray, number: int) -> None:
    """Stamp ``number`` (0 .. 2**16-1) into the top-left corner of an RGB/BGR/gray image."""
    width, height = code_size()
    image[:height, :width] = 128
    for row, value in enumerate((number, ~number)):
        for bit in range(BITS):
            on = (value >> (BITS - 1 - bit)) & 1
            y0, x0 = _MARGIN + row * _CELL, _MARGIN + bit * _CELL
            image[y0 : y0 + _CELL, x0 : x0 + _CELL] = 255 if on else 0


def read_frame_number(image: np.ndarray) -> int | None:
    """The number ``draw_frame_number`` put into ``image``, None if it is not legible."""
    width, height = code_size()
    if image.shape[0] < height or image.shape[1] < width:
        return None
    values = []
    for row in range(2):
        value = 0
        for bit in range(BITS):
            y, x = _MARGIN + row * _CELL + _CELL // 2, _MARGIN + bit * _CELL + _CELL // 2
            patch = image[y - 4 : y + 4, x - 4 : x + 4]
            value = (value << 1) | int(float(patch.mean()) > 128.0)
        values.append(value)
    number, check = values
    return number if number ^ check == (1 << BITS) - 1 else None


class MjpegServer:
    """Serves a numbered MJPEG stream at ``fps`` on 127.0.0.1; a context manager.

    ``url`` is the address to open. Frame n is produced at start + n / fps whether or not
    anyone is watching (a camera does not wait for its viewers); ``sent_at(n)`` is that time
    (``time.monotonic``), ``last_sent`` the newest number. ``kill()`` cuts every connection
    and stops listening; ``hang()`` keeps connections open but sends nothing; ``restart()``
    serves again on the same port. ``on_sent(number, time)`` is told of every frame.
    """

    def __init__(
        self,
        fps: float = 30.0,
        size: tuple[int, int] = (640, 480),
        *,
        quality: int = 80,
        port: int = 0,
        on_sent: Callable[[int, float], None] | None = None,
    ) -> None:
        self.fps = float(fps)
        self.size = size
        self._quality = int(quality)
        self._background = MovingPattern(size[0], size[1], self.fps).frame(0)[:, :, ::-1].copy()
        self._cond = threading.Condition()
        self._jpeg: bytes | None = None
        self._number = -1
        self._sent: dict[int, float] = {}
        self._hanging = False
        self._running = False
        self._clients: set[socket.socket] = set()
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.connections = 0
        self._on_sent = on_sent

    # -- control -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/stream.mjpg"

    def start(self) -> MjpegServer:
        handler = _handler_for(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._httpd.daemon_threads = True
        self._port = self._httpd.server_address[1]
        with self._cond:  # a restarted server sends fresh frames only
            self._running, self._hanging, self._jpeg = True, False, None
        self._threads = [
            threading.Thread(
                target=self._httpd.serve_forever, args=(0.05,), name="mjpeg-http", daemon=True
            ),
            threading.Thread(target=self._produce, name="mjpeg-frames", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def kill(self) -> None:
        """Stop producing, cut every connection, stop listening (the stream has died)."""
        with self._cond:
            self._running = False
            self._cond.notify_all()
            clients, self._clients = list(self._clients), set()
        for client in clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        for thread in self._threads:
            thread.join(2.0)

    def hang(self) -> None:
        """Keep the connections open but send nothing more (a frozen camera)."""
        with self._cond:
            self._hanging = True

    def restart(self) -> None:
        """Serve again on the same port, numbering on from where it stopped."""
        self.kill()
        self.start()

    def __enter__(self) -> MjpegServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.kill()

    # -- what was sent -------------------------------------------------------------------
    @property
    def last_sent(self) -> int:
        with self._cond:
            return self._number

    def sent_at(self, number: int) -> float | None:
        with self._cond:
            return self._sent.get(number)

    # -- producing and serving -----------------------------------------------------------
    def _produce(self) -> None:
        period = 1.0 / self.fps
        next_time = time.monotonic()
        while True:
            delay = next_time - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            with self._cond:
                if not self._running:
                    return
                if self._hanging:
                    next_time += period
                    continue
                number = self._number + 1
            frame = self._background.copy()
            draw_frame_number(frame, number % (1 << BITS))
            _, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self._quality])
            with self._cond:
                self._jpeg, self._number = data.tobytes(), number
                self._sent[number] = sent = time.monotonic()
                self._cond.notify_all()
            if self._on_sent is not None:
                self._on_sent(number, sent)
            next_time = max(next_time + period, time.monotonic() - period)

    def _next_jpeg(self, after: int, client: socket.socket) -> tuple[int, bytes] | None:
        """Block until a frame newer than ``after`` exists; None when the server stops."""
        with self._cond:
            while (
                self._running
                and client in self._clients
                and (self._number <= after or self._jpeg is None)
            ):
                self._cond.wait(0.5)
            if not self._running or client not in self._clients or self._jpeg is None:
                return None
            return self._number, self._jpeg

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        client = handler.connection
        with self._cond:
            if not self._running:
                return
            self._clients.add(client)
            self.connections += 1
            after = self._number - 1  # the newest frame at once, as cameras do
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={_BOUNDARY}")
            handler.send_header("Cache-Control", "no-cache")
            handler.end_headers()
            while (item := self._next_jpeg(after, client)) is not None:
                after, jpeg = item
                handler.wfile.write(
                    f"--{_BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(jpeg)}\r\n\r\n".encode()
                    + jpeg
                    + b"\r\n"
                )
                handler.wfile.flush()
        except OSError:
            pass  # the viewer went away, or the server was killed
        finally:
            with self._cond:
                self._clients.discard(client)


def _handler_for(server: MjpegServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/stream.mjpg":
                self.send_error(404)
                return
            server._serve(self)

        def log_message(self, format: str, *args: object) -> None:
            return  # quiet: tests and benchmarks print their own lines

    return Handler


class MjpegServerProcess:
    """An ``MjpegServer`` in a process of its own, with the same controls.

    For benchmarks: a camera's or phone's work is not done by the viewing program, and a
    server in the same process would take turns with it for Python's interpreter lock. The
    times each frame was sent come back through shared memory (``time.monotonic`` is the
    same clock in every process on Linux and macOS; Windows gives each its own, so there the
    latencies would be meaningless: use ``MjpegServer`` directly).
    """

    def __init__(self, fps: float = 30.0, size: tuple[int, int] = (640, 480)) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process with threads
        self._times = context.RawArray("d", 1 << BITS)
        self._last = context.RawValue("q", -1)
        self._commands, child_end = context.Pipe()
        self._process = context.Process(
            target=_serve_from_pipe,
            args=(fps, size, self._times, self._last, child_end),
            name="convlab-mjpeg-server",
            daemon=True,
        )
        self._process.start()
        self.url = self._ask("url")

    def _ask(self, command: str) -> str:
        self._commands.send(command)
        if not self._commands.poll(30.0):
            raise RuntimeError("the MJPEG server process does not answer")
        return self._commands.recv()

    @property
    def last_sent(self) -> int:
        return int(self._last.value)

    def sent_at(self, number: int) -> float | None:
        if number < 0 or number > self.last_sent or self.last_sent - number >= 1 << BITS:
            return None
        return float(self._times[number % (1 << BITS)])

    def kill(self) -> None:
        self._ask("kill")

    def hang(self) -> None:
        self._ask("hang")

    def start(self) -> MjpegServerProcess:
        self._ask("start")
        return self

    def close(self) -> None:
        if self._process.is_alive():
            self._commands.send("exit")
            self._process.join(5.0)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(2.0)

    def __enter__(self) -> MjpegServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _serve_from_pipe(fps, size, times, last, commands) -> None:
    def sent(number: int, at: float) -> None:
        times[number % (1 << BITS)] = at
        last.value = number

    server = MjpegServer(fps, tuple(size), on_sent=sent).start()
    while True:
        command = commands.recv()
        if command == "exit":
            server.kill()
            return
        if command == "kill":
            server.kill()
        elif command == "hang":
            server.hang()
        elif command == "start":
            server.start()
        commands.send(server.url)
