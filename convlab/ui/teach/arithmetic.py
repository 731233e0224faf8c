"""Convolution arithmetic, animated: a kernel slides over a small grid of numbers.

Padding, stride and dilation are easiest to understand by watching them: the padding is a ring
of extra cells, the stride is how far the window jumps, the dilation spreads the kernel's taps
apart, and the output-size formula falls out of counting where the window fits. Pooling and
transposed convolution use the same picture, so the three look like what they are: variations
of one sliding window. All arithmetic comes from ``convlab.engine.arithmetic``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from convlab.engine.arithmetic import (
    GUIDE_TRANSPOSED,
    KERNEL_PATTERNS,
    OPERATIONS,
    ZERO_INSERTED,
    Scene,
    build_scene,
    kernel_pattern,
)
from convlab.engine.layer import LayerScene, build_layer_scene, layer_demo
from convlab.ui.help import help_button, picture
from convlab.ui.state import PlaygroundState
from convlab.ui.teach.arithmetic_canvas import ArithmeticCanvas
from convlab.ui.teach.arithmetic_text import (
    formula_html,
    layer_formula_html,
    layer_step_html,
    step_html,
)
from convlab.ui.teach.layer_canvas import LayerCanvas
from convlab.ui.teach.step_player import StepPlayer

LAYER = "layer"
MODES = {
    **dict(
        zip(
            OPERATIONS,
            ("Convolution", "Max pooling", "Average pooling", "Transposed convolution"),
            strict=True,
        )
    ),
    LAYER: "CNN layer (channels, filters, biases)",
}
TRANSPOSED_VIEWS = {
    "transposed": "Scatter: each input cell spreads the kernel",
    ZERO_INSERTED: "Convolution over the zero-inserted input",
}
FROM_EDITOR = "editor kernel"  # the playground's kernel, when it is square and at most 5x5
MAX_ANIMATED_KERNEL = 5


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


class TransposedOptions(QWidget):
    """Output padding, the view and the guide's cases: only for the transposed mode."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.output_padding_spin = _spin(
            0, 2, 0, "Output padding a: rows and columns added at the bottom and right"
        )
        self.view_box = QComboBox()
        for key, label in TRANSPOSED_VIEWS.items():
            self.view_box.addItem(label, key)
        self.view_box.setToolTip(
            "Two pictures of the same numbers: the scatter, or the convolution the guide's "
            "animations show"
        )
        self.guide_box = QComboBox()
        self.guide_box.addItem("Guide cases…", "")
        for name in GUIDE_TRANSPOSED:
            self.guide_box.addItem(name, name)
        self.guide_box.setToolTip(
            "The seven transposed convolutions of Dumoulin & Visin's convolution arithmetic guide"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Output padding a"))
        layout.addWidget(self.output_padding_spin)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Show as"))
        layout.addWidget(self.view_box)
        layout.addSpacing(12)
        layout.addWidget(self.guide_box)
        layout.addStretch(1)


class LayerOptions(QWidget):
    """Channels, filters and the slides' demo: only for the CNN-layer mode."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.channels_spin = _spin(1, 3, 3, "Input channels D (3 for an RGB image)")
        self.filters_spin = _spin(1, 3, 2, "Filters K: one output map each")
        self.slides_button = QPushButton("Slides' demo")
        self.slides_button.setToolTip(
            "5×5×3 input padded by 1, two 3×3×3 filters with biases, stride 2: a 3×3×2 output"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for text, widget in (("Channels D", self.channels_spin), ("Filters K", self.filters_spin)):
            layout.addWidget(QLabel(text))
            layout.addWidget(widget)
            layout.addSpacing(12)
        layout.addWidget(self.slides_button)
        layout.addStretch(1)


class ArithmeticPanel(QWidget):
    """Controls, the animated canvas, the output-size formula and the current step's sum."""

    editorKernelUse = Signal(bool)  # whether the animation runs the Kernel panel's kernel
    HELP_TITLE = "Convolution arithmetic"
    HELP_HTML = (
        "<p>A kernel (orange) slides over a small input (blue); each step multiplies the "
        "numbers it covers by its weights, adds them up and writes one output cell "
        "(green).</p>"
        + picture("arithmetic.png", 480)
        + "<ul><li><b>Padding</b> rings the input with zeros so edge cells get a turn; "
        "<b>stride</b> is the jump between steps (2 halves the output); <b>dilation</b> spreads "
        "the taps (3×3 with dilation 2 covers 5×5).</li>"
        "<li><b>Pooling</b> takes the largest value (max) or the mean of each window.</li>"
        "<li><b>Transposed</b> runs the other way: every input cell spreads a scaled copy of "
        "the kernel; overlaps add up. <i>Output padding</i> picks among the sizes a stride "
        "makes ambiguous.</li>"
        "<li><b>CNN layer</b>: D input channels, K filters (one k×k slice per channel, plus a "
        "bias); one output value is the channels' partial sums plus the bias. Parameters "
        "K·(k·k·D + 1).</li>"
        "<li>The formula counts where the window fits: the output size. Click an output cell "
        "to jump to its step; ← → step, Space plays, Home/End.</li></ul>"
    )

    def __init__(self, state: PlaygroundState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # A click anywhere in the panel (even on a picture or a label) focuses it, so F1 shows
        # this panel's help.
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.state = state
        self._seed = 0
        self.scene: Scene | None = None
        self._build_controls()
        self.canvas = ArithmeticCanvas()
        self.layer_canvas = LayerCanvas()
        self.canvases = QStackedWidget()
        self.canvases.addWidget(self.canvas)
        self.canvases.addWidget(self.layer_canvas)
        self.formula = QLabel()
        self.formula.setTextFormat(Qt.TextFormat.RichText)
        self.formula.setWordWrap(True)
        self.step_text = QLabel()
        self.step_text.setTextFormat(Qt.TextFormat.RichText)
        self.step_text.setWordWrap(True)
        self.step_text.setMinimumHeight(QFontMetrics(self.font()).height() * 2)

        layout = QVBoxLayout(self)
        layout.addLayout(self._settings_row())
        layout.addWidget(self.transposed_row)
        layout.addWidget(self.layer_row)
        layout.addLayout(self._transport_row())
        layout.addWidget(self.canvases, 1)
        layout.addWidget(self.formula)
        layout.addWidget(self.step_text)
        readable = QFont(self.font())
        readable.setPointSizeF(self.font().pointSizeF() + 1.5)
        self.formula.setFont(readable)
        self.step_text.setFont(readable)

        if state is not None:
            state.kernelChanged.connect(lambda _k: self._on_kernel_changed())
        self._connect()
        self._apply_mode_limits()  # the options rows of the other modes start hidden
        self.rebuild()

    def _build_controls(self) -> None:
        self.mode_box = QComboBox()
        for key, label in MODES.items():
            self.mode_box.addItem(label, key)
        self.size_spin = _spin(4, 9, 5, "Input size n (the input is n×n)")
        self.kernel_spin = _spin(1, 5, 3, "Kernel (or pooling window) size k")
        self.padding_spin = _spin(0, 3, 1, "Padding p: cells added on every side")
        self.stride_spin = _spin(1, 4, 1, "Stride s: how far the window jumps")
        self.dilation_spin = _spin(1, 3, 1, "Dilation d: spacing between kernel taps")
        self.pattern_box = QComboBox()
        self.pattern_box.addItems([*KERNEL_PATTERNS, FROM_EDITOR])
        self.pattern_box.setToolTip(
            "The kernel's weights; 'editor kernel' animates the "
            "playground's kernel (square, up to 5×5)"
        )
        self.new_button = QPushButton("New numbers")
        self.new_button.setToolTip("Draw new random input numbers")
        self.player = StepPlayer()
        self.transposed_row = TransposedOptions()
        self.layer_row = LayerOptions()

    def _settings_row(self) -> QGridLayout:
        settings = QGridLayout()
        settings.setHorizontalSpacing(10)
        labelled = [
            ("Mode", self.mode_box),
            ("Input n", self.size_spin),
            ("Kernel k", self.kernel_spin),
            ("Padding p", self.padding_spin),
            ("Stride s", self.stride_spin),
            ("Dilation d", self.dilation_spin),
            ("Weights", self.pattern_box),
        ]
        for column, (text, widget) in enumerate(labelled):
            settings.addWidget(QLabel(text), 0, column)
            settings.addWidget(widget, 1, column)
        settings.setColumnStretch(len(labelled), 1)
        settings.addWidget(help_button(self, self.HELP_TITLE, self.HELP_HTML), 1, len(labelled) + 1)
        return settings

    def _transport_row(self) -> QHBoxLayout:
        transport = QHBoxLayout()
        transport.addWidget(self.new_button)
        transport.addSpacing(12)
        transport.addWidget(self.player)
        transport.addStretch(1)
        return transport

    def _connect(self) -> None:
        self.canvas.stepRequested.connect(self._jump)
        self.layer_canvas.stepRequested.connect(self._jump)
        self.canvas.key_actions = self.layer_canvas.key_actions = {
            Qt.Key.Key_Space: self.player.play_button.toggle,
            Qt.Key.Key_Right: self.step_forward,
            Qt.Key.Key_Left: self.player.step_back,
            Qt.Key.Key_Home: lambda: self.go_to(0),
            Qt.Key.Key_End: self.run_to_end,
        }
        for spin in (
            self.size_spin,
            self.kernel_spin,
            self.padding_spin,
            self.stride_spin,
            self.dilation_spin,
            self.transposed_row.output_padding_spin,
            self.layer_row.channels_spin,
            self.layer_row.filters_spin,
        ):
            spin.valueChanged.connect(self.rebuild)
        self.layer_row.slides_button.clicked.connect(self.slides_demo)
        self.transposed_row.view_box.currentIndexChanged.connect(self.rebuild)
        self.transposed_row.guide_box.activated.connect(self._guide_case)
        self.pattern_box.currentTextChanged.connect(self.rebuild)
        self.mode_box.currentIndexChanged.connect(self._on_mode)
        self.new_button.clicked.connect(self._new_numbers)
        self.player.seek.connect(self.go_to)

    def heightForWidth(self, width: int) -> int:
        """Fill a scroll area's height instead of asking for the preferred one.

        Word-wrapped labels give the layout a height-for-width, and QScrollArea then sizes the
        panel to its *preferred* height (taller than a laptop screen). The minimum for this
        width is enough: the pictures and the canvas stretch into whatever is left.
        """
        return self.layout().totalMinimumHeightForWidth(width)

    # -- settings -----------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self.mode_box.currentData()

    def set_config(
        self,
        *,
        mode: str | None = None,
        n: int | None = None,
        k: int | None = None,
        padding: int | None = None,
        stride: int | None = None,
        dilation: int | None = None,
        pattern: str | None = None,
        output_padding: int | None = None,
        view: str | None = None,
    ) -> None:
        """Set several controls at once and rebuild once (also what tests use)."""
        widgets = [
            self.mode_box,
            self.size_spin,
            self.kernel_spin,
            self.padding_spin,
            self.stride_spin,
            self.dilation_spin,
            self.pattern_box,
        ]
        if mode is not None:
            with signals_blocked(widgets[0]):
                self.mode_box.setCurrentIndex(list(MODES).index(mode))
            self._apply_mode_limits()
        for spin, value in (
            (self.size_spin, n),
            (self.kernel_spin, k),
            (self.padding_spin, padding),
            (self.stride_spin, stride),
            (self.dilation_spin, dilation),
        ):
            if value is not None:
                with signals_blocked(spin):
                    spin.setValue(value)
        with signals_blocked(self.transposed_row.output_padding_spin):
            self.transposed_row.output_padding_spin.setMaximum(self._largest_output_padding())
            if output_padding is not None:
                self.transposed_row.output_padding_spin.setValue(output_padding)
        if pattern is not None:
            with signals_blocked(self.pattern_box):
                self.pattern_box.setCurrentText(pattern)
        if view is not None:
            with signals_blocked(self.transposed_row.view_box):
                self.transposed_row.view_box.setCurrentIndex(
                    self.transposed_row.view_box.findData(view)
                )
        self.rebuild()

    def slides_demo(self) -> None:
        """The slides' demo: 5x5x3 padded by 1, two 3x3x3 filters with biases, stride 2."""
        for spin, value in ((self.layer_row.channels_spin, 3), (self.layer_row.filters_spin, 2)):
            with signals_blocked(spin):
                spin.setValue(value)
        self._seed = 0
        self.set_config(mode=LAYER, n=5, k=3, padding=1, stride=2, dilation=1)

    def _largest_output_padding(self) -> int:
        """Output padding only picks among the max(s, d) sizes that shrink alike."""
        return max(self.stride_spin.value(), self.dilation_spin.value()) - 1

    def _guide_case(self) -> None:
        """Set up one of the guide's seven transposed convolutions."""
        name = self.transposed_row.guide_box.currentData()
        if not name:
            return
        n, k, p, s, a, _size = GUIDE_TRANSPOSED[name]
        self.set_config(
            mode="transposed", n=n, k=k, padding=p, stride=s, dilation=1, output_padding=a
        )

    def _on_mode(self) -> None:
        """Pooling usually jumps by its window; the other modes start at stride 1."""
        self._apply_mode_limits()
        if self.mode in ("max_pool", "avg_pool"):
            self.set_config(k=2, padding=0, stride=2, dilation=1)
        elif self.mode == "transposed":
            self.set_config(n=3, k=3, padding=0, stride=2, dilation=1, output_padding=0)
        elif self.mode == LAYER:
            self.slides_demo()
        else:
            self.set_config(n=5, k=3, padding=1, stride=1, dilation=1)

    def _apply_mode_limits(self) -> None:
        # A transposed convolution grows its input, so small inputs (2, 3) are the useful ones.
        with signals_blocked(self.size_spin):
            self.size_spin.setMinimum(2 if self.mode == "transposed" else 4)
            self.size_spin.setMaximum(7 if self.mode == "transposed" else 9)
        self.transposed_row.setVisible(self.mode == "transposed")
        self.layer_row.setVisible(self.mode == LAYER)
        self.canvases.setCurrentWidget(self.layer_canvas if self.mode == LAYER else self.canvas)

    def _new_numbers(self) -> None:
        self._seed += 1
        self.rebuild()

    def input_grid(self) -> np.ndarray:
        n = self.size_spin.value()
        low = -4 if self.mode == "max_pool" else 0
        return np.random.default_rng(self._seed).integers(low, 10, (n, n)).astype(float)

    def kernel_weights(self) -> np.ndarray:
        editor = self._editor_kernel()
        if editor is not None:
            return editor
        pattern = self.pattern_box.currentText()
        pattern = "random" if pattern == FROM_EDITOR else pattern
        return kernel_pattern(pattern, self.kernel_spin.value(), self._seed)

    def uses_editor_kernel(self) -> bool:
        """True while the animation runs the Kernel panel's kernel (``editor kernel``): the
        Kernel panel then acts here, otherwise a second, different kernel would be on screen."""
        return self.pattern_box.currentText() == FROM_EDITOR and self.mode in (
            "convolution",
            "transposed",
        )

    def _editor_kernel(self) -> np.ndarray | None:
        """The playground kernel's effective weights, when chosen and the grid can animate it."""
        if (
            self.state is None
            or self.pattern_box.currentText() != FROM_EDITOR
            or self.mode not in ("convolution", "transposed")
        ):
            return None
        rows, cols = self.state.kernel.shape
        if rows != cols or rows > MAX_ANIMATED_KERNEL:
            return None
        return np.array(self.state.kernel.effective)

    def _on_kernel_changed(self) -> None:
        if self.pattern_box.currentText() == FROM_EDITOR:
            self.rebuild()

    def rebuild(self) -> None:
        """New settings: recompute every step and start the animation from the beginning."""
        self.pattern_box.setEnabled(self.mode in ("convolution", "transposed"))
        self.editorKernelUse.emit(self.uses_editor_kernel())
        scatter = (
            self.mode == "transposed" and self.transposed_row.view_box.currentData() == "transposed"
        )
        self.canvas.setToolTip(
            "Click an input cell to see the step that spreads it"
            if scatter
            else "Click an output cell to see the step that computes it"
        )
        editor = self.pattern_box.currentText() == FROM_EDITOR
        editor_weights = self._editor_kernel()
        self.kernel_spin.setEnabled(editor_weights is None)
        if editor_weights is not None:
            with signals_blocked(self.kernel_spin):
                self.kernel_spin.setValue(editor_weights.shape[0])
        self.scene = self._build_scene()
        note = ""
        if (
            editor
            and editor_weights is None
            and self.state is not None
            and self.mode in ("convolution", "transposed")
        ):
            rows, cols = self.state.kernel.shape
            note = (
                f"<br><span style='color:#8a6d00'>The editor's kernel is {rows}×{cols}; the "
                f"animation shows square kernels up to {MAX_ANIMATED_KERNEL}×"
                f"{MAX_ANIMATED_KERNEL}, so random weights are used instead.</span>"
            )
        layer = isinstance(self.scene, LayerScene)
        self.formula.setText(layer_formula_html(self.scene) if layer else formula_html(self.scene))
        self.formula.setText(self.formula.text() + note)
        self._show()

    def _build_scene(self) -> Scene | LayerScene:
        settings = {
            "padding": self.padding_spin.value(),
            "stride": self.stride_spin.value(),
            "dilation": self.dilation_spin.value(),
        }
        if self.mode == LAYER:
            image, weights, bias = layer_demo(
                self.size_spin.value(),
                self.layer_row.channels_spin.value(),
                self.layer_row.filters_spin.value(),
                self.kernel_spin.value(),
                self._seed,
            )
            return build_layer_scene(image, weights, bias, **settings)
        transposed = self.mode == "transposed"
        with signals_blocked(self.transposed_row.output_padding_spin):
            self.transposed_row.output_padding_spin.setMaximum(self._largest_output_padding())
        return build_scene(
            self.transposed_row.view_box.currentData() if transposed else self.mode,
            self.input_grid(),
            self.kernel_weights(),
            output_padding=self.transposed_row.output_padding_spin.value() if transposed else 0,
            **settings,
        )

    # -- animation ----------------------------------------------------------------------------
    def go_to(self, done: int) -> None:
        """Show the state after ``done`` steps (clamped to the valid range)."""
        if self.scene is None:
            return
        done = int(min(max(done, 0), len(self.scene.steps)))
        self.scene = replace(self.scene, done=done)
        self._show()

    def _jump(self, done: int) -> None:
        self.player.stop()
        self.go_to(done)

    def step_forward(self) -> None:
        self.go_to(self.scene.done + 1)

    def run_to_end(self) -> None:
        self.player.stop()
        self.go_to(len(self.scene.steps))

    def output_grid(self) -> np.ndarray:
        """The output as filled so far (all of it after ``run_to_end``)."""
        return self.scene.output()

    def _show(self) -> None:
        if isinstance(self.scene, LayerScene):
            self.layer_canvas.set_scene(self.scene)
            self.step_text.setText(layer_step_html(self.scene))
        else:
            self.canvas.set_scene(self.scene)
            self.step_text.setText(step_html(self.scene))
        usable = self.scene.error is None
        self.player.show_position(self.scene.done, len(self.scene.steps), usable=usable)

    def hideEvent(self, event) -> None:
        """An animation nobody sees should not keep the GUI thread busy."""
        self.player.stop()
        super().hideEvent(event)
