"""Why CNNs? The parameter explosion of fully connected layers, and what shuffling pixels does.

Two arguments from the slides, made concrete. First, counting: a fully connected first layer
needs a weight for every (hidden unit, input pixel) pair, which is hopeless on real images;
local connectivity and then weight sharing cut that by orders of magnitude. Second, layout: an
MLP does not care where a pixel is (shuffle the pixels and its weights the same way and nothing
changes), while a convolution is all about neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qthrottled, signals_blocked

from convlab.engine import presets
from convlab.engine.arithmetic import pixel_permutation, shuffle_pixels
from convlab.engine.convolve import convolve
from convlab.engine.display import to_rgb
from convlab.engine.explain import parameter_counts
from convlab.engine.layer import layer_parameter_count
from convlab.engine.pipeline import PipelineResult, shrink
from convlab.errors import ConvlabError
from convlab.ui.help import help_button, picture
from convlab.ui.state import PlaygroundState
from convlab.ui.teach.flatten_view import FlattenStrip, as_32x32
from convlab.ui.widgets.picture_grid import PictureGrid

DEMO_MAX_SIDE = 160  # the shuffle demo works on a small copy: it is about structure, not detail
MLP_CHECK_SIDE = 32  # the MLP check multiplies a 16 x 1024 matrix: instant
BYTES_PER_WEIGHT = 4  # float32


@dataclass(frozen=True)
class LayerSizes:
    """The numbers a person can edit: image size, hidden units, kernel size, filters."""

    height: int
    width: int
    channels: int = 1
    hidden: int = 1000
    kernel: int = 10
    filters: int = 100


PRESETS: dict[str, LayerSizes] = {
    "Slide: 32×32 image, 1000 hidden units": LayerSizes(32, 32),
    "Slide: 720×960 image, 1000 hidden units": LayerSizes(720, 960),
    "Slide: 1000×1000 image, 1M hidden units": LayerSizes(1000, 1000, hidden=1_000_000),
}
CURRENT_SOURCE = "Current source"
CUSTOM = "Custom"

LAYERS = (  # key, name, rule, short name for the chart's axis, colour
    ("fully_connected", "Fully connected (MLP)", "hidden × H × W × C", "MLP", QColor(200, 70, 60)),
    ("locally_connected", "Locally connected", "H × W × k × k × C", "local", QColor(230, 150, 40)),
    ("convolutional", "Convolutional", "filters × k × k × C", "conv", QColor(50, 140, 80)),
)


def human_bytes(count: int) -> str:
    """Bytes in decimal units as people read them: 4.1 MB, 4 TB."""
    value = float(count)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if value < 1000 or unit == "PB":
            return f"{value:.3g} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1000
    return f"{value:.3g} PB"


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def power_of_ten(count: int) -> str:
    """1,000,000,000,000 -> "10¹²"; 691,200,000 -> "6.91·10⁸" (plain text, no markup)."""
    exponent = int(np.floor(np.log10(count))) if count > 0 else 0
    mantissa = count / 10**exponent
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    return power if abs(mantissa - 1) < 1e-9 else f"{mantissa:.3g}·{power}"


def formulas(sizes: LayerSizes) -> dict[str, str]:
    """Each layer's count with the current numbers plugged in."""
    s = sizes
    return {
        "fully_connected": f"{s.hidden:,} × {s.height:,} × {s.width:,} × {s.channels}",
        "locally_connected": f"{s.height:,} × {s.width:,} × {s.kernel} × {s.kernel} × {s.channels}",
        "convolutional": f"{s.filters:,} × {s.kernel} × {s.kernel} × {s.channels}"
        f"  (+{s.filters:,} biases: {layer_parameter_count(s.kernel, s.channels, s.filters):,})",
    }


def edge_strength(gray: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude: what a first conv layer's edge filters respond to."""
    gx = convolve(gray, presets.get("sobel_x"))
    gy = convolve(gray, presets.get("sobel_y"))
    return cv2.magnitude(gx, gy)


def mlp_difference(gray: np.ndarray, seed: int) -> float:
    """Largest |W x - W' x'| for a random dense layer, x' the shuffled pixels, W' columns shuffled.

    Zero up to rounding: shuffling the inputs and the weights together changes nothing for an
    MLP, so the pixels' positions carry no information it could not equally learn shuffled.
    """
    small = cv2.resize(gray, (MLP_CHECK_SIDE, MLP_CHECK_SIDE), interpolation=cv2.INTER_AREA)
    x = small.astype(np.float64).ravel() / 255.0
    order = pixel_permutation(x.size, seed)
    weights = np.random.default_rng(seed + 1).normal(size=(16, x.size))
    shuffled_x = shuffle_pixels(small, seed).astype(np.float64).ravel() / 255.0
    return float(np.abs(weights @ x - weights[:, order] @ shuffled_x).max())


class WhyCnnPanel(QWidget):
    """Parameter counts (numbers + log bar chart) and the pixel-shuffle demo."""

    HELP_TITLE = "Why CNNs?"
    HELP_HTML = (
        "<p>Why not an ordinary neural network for pictures? Two reasons you can see here.</p>"
        + picture("why-cnns.jpg", 480)
        + "<ul><li><b>Parameter explosion</b> (left): weights of a first layer for your "
        "picture. A fully connected layer gives every unit (neuron) a weight for every input "
        "value: hidden × H × W × C. A locally connected one has a unit per location, each with "
        "its own k × k × C window: H × W × k × k × C. A convolution shares one k × k × C kernel "
        "everywhere: filters × k × k × C. The bars are logarithmic (each line ×10); memory is "
        "float32.</li>"
        "<li><b>Spatial orientation</b> (right): shuffle the pixels. An MLP (weights shuffled "
        "alike) gives exactly the same outputs: it never used the layout. A convolution's edge "
        "map turns to noise: a CNN relies on neighbours, which is why it needs so few "
        "weights.</li></ul>"
    )

    def uses_editor_kernel(self) -> bool:
        """The Kernel panel does not act here (the shuffle demo uses Sobel kernels)."""
        return False

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # A click anywhere in the panel (even on a picture or a label) focuses it, so F1 shows
        # this panel's help.
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.state = state
        self.counts: dict[str, int] = {}
        self.seed = 0
        self.mlp_gap: float | None = None

        title = QLabel(
            "<b>Why CNNs?</b> &nbsp;Parameters of a first layer, and what an image means to an MLP"
        )
        header = QHBoxLayout()
        header.addWidget(title, 1)
        header.addWidget(help_button(self, self.HELP_TITLE, self.HELP_HTML))

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        body = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self._build_counts(), 3)
        left.addWidget(self._build_flatten(), 2)
        body.addLayout(left, 3)
        body.addWidget(self._build_shuffle(), 2)
        layout.addLayout(body, 1)

        self._refresh_demo_soon = qthrottled(self.refresh_demo, timeout=500, parent=self)
        state.resultReady.connect(self._on_result)
        self.apply_preset(next(iter(PRESETS)))

    def heightForWidth(self, width: int) -> int:
        """Fill a scroll area's height instead of asking for the preferred one.

        Word-wrapped labels give the layout a height-for-width, and QScrollArea then sizes the
        panel to its *preferred* height (taller than a laptop screen). The minimum for this
        width is enough: the pictures and the canvas stretch into whatever is left.
        """
        return self.layout().totalMinimumHeightForWidth(width)

    # -- parameter explosion ---------------------------------------------------------------
    def _build_counts(self) -> QGroupBox:
        group = QGroupBox("Parameter explosion (weights of the first layer)")
        self.preset_box = QComboBox()
        self.preset_box.addItems([*PRESETS, CURRENT_SOURCE, CUSTOM])
        self.preset_box.setToolTip("The examples from the slides, or the image in the playground")
        self.spins: dict[str, QSpinBox] = {}
        fields = [
            ("height", "Height H", 1, 100_000),
            ("width", "Width W", 1, 100_000),
            ("channels", "Channels C", 1, 4),
            ("hidden", "Hidden units", 1, 100_000_000),
            ("kernel", "Kernel k", 1, 99),
            ("filters", "Filters", 1, 100_000),
        ]
        editors = QGridLayout()
        editors.addWidget(QLabel("Example"), 0, 0)
        editors.addWidget(self.preset_box, 0, 1, 1, 3)
        for index, (key, text, low, high) in enumerate(fields):
            spin = QSpinBox()
            spin.setRange(low, high)
            spin.setGroupSeparatorShown(True)
            spin.valueChanged.connect(self._on_edited)
            self.spins[key] = spin
            editors.addWidget(QLabel(text), 1 + index // 2, 2 * (index % 2))
            editors.addWidget(spin, 1 + index // 2, 2 * (index % 2) + 1)
        self.inputs_label = QLabel()
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c03030")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self._build_table()
        self._build_plot()
        self.ratio_label = QLabel()
        self.ratio_label.setWordWrap(True)
        self.ratio_label.setTextFormat(Qt.TextFormat.RichText)

        layout = QVBoxLayout(group)
        layout.addLayout(editors)
        layout.addWidget(self.inputs_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.table)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.ratio_label)
        self.preset_box.currentTextChanged.connect(self.apply_preset)
        return group

    def _build_table(self) -> None:
        """Weights per layer kind: the rule, the count and the memory they take."""
        self.table = QTableWidget(len(LAYERS), 4)
        self.table.setHorizontalHeaderLabels(["Layer and rule", "Weights", "Count", "Memory"])
        self.table.horizontalHeaderItem(3).setToolTip("float32: 4 bytes per weight")
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setWordWrap(True)
        row_height = 2 * self.fontMetrics().height() + 8  # name, and the rule under it
        self.table.verticalHeader().setDefaultSectionSize(row_height)
        self.table.setFixedHeight(
            self.table.horizontalHeader().sizeHint().height()
            + len(LAYERS) * row_height
            + 2 * self.table.frameWidth()
            + 6
        )

    def _build_plot(self) -> None:
        """The same counts as bars on a log scale, labelled inside their tops."""
        self.plot = pg.PlotWidget()
        self.plot.setBackground(None)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setTitle("weights (log scale: each grid line is 10× the one below)", size="9pt")
        self.plot.showGrid(y=True, alpha=0.25)
        self.bars = pg.BarGraphItem(x=[0, 1, 2], height=[0, 0, 0], width=0.6)
        self.plot.addItem(self.bars)
        # Labels hang inside the top of each bar, so they never leave a short plot.
        self.bar_texts = [pg.TextItem(anchor=(0.5, 0.0), color="w") for _ in LAYERS]
        for item in self.bar_texts:
            self.plot.addItem(item)
        self.plot.getAxis("bottom").setTicks(
            [[(i, short) for i, (_, _, _, short, _) in enumerate(LAYERS)]]
        )
        self.plot.setMinimumHeight(110)

    def sizes(self) -> LayerSizes:
        return LayerSizes(**{key: spin.value() for key, spin in self.spins.items()})

    def apply_preset(self, name: str) -> None:
        """Fill the editors from a slide example or from the current source's frame size."""
        if name == CUSTOM:
            return
        if name == CURRENT_SOURCE:
            result = self.state.latest_result
            if result is None:
                self.error_label.setText("No image yet: open an image or a camera first.")
                return
            height, width = result.frame.shape[:2]
            channels = 1 if result.frame.ndim == 2 else result.frame.shape[2]
            sizes = LayerSizes(height, width, channels)
        else:
            sizes = PRESETS[name]
        for key, spin in self.spins.items():
            with signals_blocked(spin):
                spin.setValue(getattr(sizes, key))
        with signals_blocked(self.preset_box):
            self.preset_box.setCurrentText(name)
        self.update_counts()

    def _on_edited(self) -> None:
        with signals_blocked(self.preset_box):
            self.preset_box.setCurrentText(CUSTOM)
        self.update_counts()

    def update_counts(self) -> None:
        """Recount, and redraw the table and the bars."""
        sizes = self.sizes()
        try:
            counts = parameter_counts(
                sizes.height,
                sizes.width,
                hidden=sizes.hidden,
                channels=sizes.channels,
                filters=sizes.filters,
                kernel=sizes.kernel,
            )
        except ConvlabError as error:
            self.error_label.setText(str(error))
            self.error_label.show()
            return
        self.error_label.hide()
        self.counts = counts
        self.inputs_label.setText(
            f"{sizes.height:,} × {sizes.width:,} × {sizes.channels} = "
            f"<b>{counts['inputs']:,}</b> inputs"
        )
        self._show_matrix_shape(sizes, counts["inputs"])
        texts = formulas(sizes)
        heights = []
        for row, (key, name, rule, _short, colour) in enumerate(LAYERS):
            count = counts[key]
            cells = [
                f"{name}\n{rule}",
                texts[key],
                f"{count:,}",
                human_bytes(count * BYTES_PER_WEIGHT),
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setForeground(colour)
                if column >= 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
            heights.append(float(np.log10(count)))
            self.bar_texts[row].setText(power_of_ten(count))
            self.bar_texts[row].setPos(row, heights[-1])
        self.bars.setOpts(height=heights, brushes=[layer[-1] for layer in LAYERS])
        top = int(np.ceil(max(heights)))
        self.plot.setYRange(0, top, padding=0)
        self.plot.setXRange(-0.5, 2.5, padding=0.05)
        step = max(1, int(np.ceil(top / 6)))  # at most ~7 labels; a grid line per decade
        labelled = [(e, power_of_ten(10**e)) for e in range(0, top + 1, step)]
        decades = [(e, "") for e in range(0, top + 1) if e % step]
        self.plot.getAxis("left").setTicks([labelled, decades])
        fc, local, conv = (counts[k] for k, *_ in LAYERS)
        self.ratio_label.setText(
            f"Local connectivity saves a factor {_ratio(fc / local)}; sharing the weights saves "
            f"another {_ratio(local / conv)}. The convolutional layer needs "
            f"{_ratio(fc / conv)}× fewer weights than the MLP's first layer."
        )

    # -- flattening -----------------------------------------------------------------------
    def _build_flatten(self) -> QGroupBox:
        group = QGroupBox("Flatten: what an MLP's first layer sees")
        self.matrix_label = QLabel()
        self.matrix_label.setTextFormat(Qt.TextFormat.RichText)
        self.matrix_label.setWordWrap(True)
        self.strip = FlattenStrip()
        note = QLabel(
            "Left and right neighbours stay side by side, but the pixels above and below land "
            "32 places away: after flattening, nothing says they were neighbours (the MLP "
            "“loses spatial orientation” and must learn it from data). A convolution's window "
            "keeps them together. Click the image to follow another pixel."
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(group)
        layout.addWidget(self.matrix_label)
        layout.addWidget(self.strip, 1)
        layout.addWidget(note)
        return group

    def _show_matrix_shape(self, sizes: LayerSizes, inputs: int) -> None:
        """The slide's h = W·x with this layer's shapes: W has one column per input value."""
        self.matrix_label.setText(
            f"h = W·x: &nbsp;({sizes.hidden:,} × 1) = <b>W ({sizes.hidden:,} × {inputs:,})</b>"
            f" · ({inputs:,} × 1) &nbsp;— one row of weights per hidden unit, one column per "
            "input value"
        )

    # -- spatial orientation ---------------------------------------------------------------
    def _build_shuffle(self) -> QGroupBox:
        group = QGroupBox("Spatial orientation: shuffle the pixels")
        self.pictures = PictureGrid(
            2, 2, ["Original", "Pixels shuffled", "Sobel edges", "Sobel edges of shuffled"]
        )
        self.pictures.setMinimumSize(220, 220)
        self.reshuffle_button = QPushButton("Another shuffle")
        self.reshuffle_button.setToolTip("Draw a different fixed permutation")
        self.reshuffle_button.clicked.connect(self._reshuffle)
        self.mlp_label = QLabel()
        self.mlp_label.setWordWrap(True)
        self.mlp_label.setTextFormat(Qt.TextFormat.RichText)
        explanation = QLabel(
            "An MLP gives every pixel its own weights and never uses where the pixel sits, so "
            "the shuffled image, with its weights shuffled the same way, gives it exactly the "
            "same numbers. A convolution only combines neighbours, and after the shuffle the "
            "neighbours are strangers: its edge map is noise, because the layout is what a CNN "
            "relies on."
        )
        explanation.setWordWrap(True)
        layout = QVBoxLayout(group)
        layout.addWidget(self.pictures, 1)
        row = QHBoxLayout()
        row.addWidget(self.mlp_label, 1)
        row.addWidget(self.reshuffle_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        layout.addWidget(explanation)
        return group

    def _reshuffle(self) -> None:
        self.seed += 1
        self.refresh_demo()

    def wants_live_frames(self) -> bool:
        """The weight-sharing demo runs on the live source while the tab is on show."""
        return True

    def _on_result(self, result: PipelineResult) -> None:
        if not self.isVisible():
            return
        self._refresh_demo_soon()
        if self.preset_box.currentText() == CURRENT_SOURCE:
            height, width = result.frame.shape[:2]
            if (self.spins["height"].value(), self.spins["width"].value()) != (height, width):
                self.apply_preset(CURRENT_SOURCE)  # a new camera or file: follow its size

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh_demo()
        if self.preset_box.currentText() == CURRENT_SOURCE:
            self.apply_preset(CURRENT_SOURCE)

    def refresh_demo(self) -> None:
        """Shuffle a small copy of the current frame and show both with their edge maps."""
        result = self.state.latest_result
        if result is None:
            self.mlp_label.setText("No image yet: open an image or a camera.")
            return
        self.strip.set_image(as_32x32(result.frame))
        small = shrink(result.frame, DEMO_MAX_SIDE)
        shuffled = shuffle_pixels(small, self.seed)
        gray = _gray(small)
        shuffled_gray = shuffle_pixels(gray, self.seed)
        edges, shuffled_edges = edge_strength(gray), edge_strength(shuffled_gray)
        scale = (0.0, float(max(edges.max(), shuffled_edges.max(), 1.0)))
        self.pictures.set_image(0, _as_rgb(small))
        self.pictures.set_image(1, _as_rgb(shuffled))
        self.pictures.set_image(2, to_rgb(edges, "minmax", colormap="magma", value_range=scale))
        self.pictures.set_image(
            3, to_rgb(shuffled_edges, "minmax", colormap="magma", value_range=scale)
        )
        self.mlp_gap = mlp_difference(gray, self.seed)
        unshuffled = np.empty_like(shuffled_edges.ravel())
        unshuffled[pixel_permutation(gray.size, self.seed)] = shuffled_edges.ravel()
        conv_gap = float(np.abs(unshuffled - edges.ravel()).mean() / max(edges.mean(), 1e-9))
        self.mlp_label.setText(
            f"<b>MLP</b> (random 16-unit layer, 32×32 input): largest output difference "
            f"original vs shuffled = <b>{self.mlp_gap:.1e}</b> (rounding only).<br>"
            f"<b>Convolution</b>: un-shuffle its edge map of the shuffled image and it still "
            f"differs from the original's by <b>{100 * conv_gap:.0f}%</b> on average."
        )


def _ratio(value: float) -> str:
    """Big factors as whole numbers with separators (10,000), small ones with 3 digits."""
    return f"{round(value):,}" if value >= 100 else f"{value:.3g}"


def _gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image


def _as_rgb(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image
