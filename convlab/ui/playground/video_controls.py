"""Play / pause and a seek slider under the pictures, while a video file plays.

A person teaching with a clip wants to stop on the frame that shows the edge, and go back to
it. The bar knows only what the window tells it (the file's length and rate, the frame on
show, playing or not) and asks for the rest (``playToggled``, ``seekRequested``). Dragging the
slider scrubs: the frame under the handle is asked for at most ``SCRUB_MS`` apart.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QStyle, QToolButton, QWidget
from superqt.utils import qthrottled

SCRUB_MS = 60


def clock(seconds: float) -> str:
    """0:07.4, 1:02.0: minutes, seconds and tenths."""
    minutes, rest = divmod(max(seconds, 0.0), 60.0)
    return f"{int(minutes)}:{rest:04.1f}"


class VideoControls(QWidget):
    """[Play/Pause] [--------o------] 0:03.2 / 0:12.0"""

    playToggled = Signal(bool)  # True: play
    seekRequested = Signal(int)  # a frame index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("videoControls")
        self.fps = 30.0
        self.frame_count = 0
        self.playing = True
        self.play_button = QToolButton()
        self.play_button.setObjectName("videoPlayButton")
        self.play_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("videoSeek")
        self.slider.setToolTip("Drag to any frame of the video (it stays paused if it was)")
        self.time_label = QLabel()
        self.time_label.setObjectName("videoTime")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.play_button)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.time_label)
        self._scrub = qthrottled(self._ask_for_handle, timeout=SCRUB_MS, parent=self)
        self.play_button.clicked.connect(lambda: self.playToggled.emit(not self.playing))
        self.slider.sliderMoved.connect(lambda _value: self._scrub())
        self.slider.sliderReleased.connect(self._ask_for_handle)
        self.slider.actionTriggered.connect(self._page_step)
        self.set_playing(True)
        self.hide()

    def set_video(self, frame_count: int, fps: float) -> None:
        """A seekable file of ``frame_count`` frames at ``fps`` is on show (0: none is)."""
        self.frame_count, self.fps = int(frame_count), float(fps) if fps > 0 else 30.0
        self.setVisible(self.frame_count > 1)
        self.slider.setRange(0, max(self.frame_count - 1, 0))
        self.slider.setPageStep(max(1, round(self.fps)))  # a click beside the handle: 1 s
        self.show_position(0)

    def set_playing(self, playing: bool) -> None:
        self.playing = bool(playing)
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText("Pause" if playing else "Play")
        self.play_button.setToolTip(
            "Pause the video on this frame (Space)" if playing else "Play the video (Space)"
        )

    def show_position(self, index: int | None) -> None:
        """The frame on show (the handle stays where a person is dragging it)."""
        if index is None or self.slider.isSliderDown():
            return
        self.slider.setValue(int(index))
        self._show_time(int(index))

    def _show_time(self, index: int) -> None:
        total = self.frame_count / self.fps
        self.time_label.setText(f"{clock(index / self.fps)} / {clock(total)}")

    def _ask_for_handle(self) -> None:
        value = self.slider.sliderPosition()
        self._show_time(value)
        self.seekRequested.emit(value)

    def _page_step(self, action: int) -> None:
        """A click on the groove or a key: jump there (the slider has moved already)."""
        if action not in (QSlider.SliderAction.SliderMove, QSlider.SliderAction.SliderNoAction):
            self._ask_for_handle()
