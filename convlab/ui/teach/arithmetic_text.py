"""The arithmetic panel's words: the output-size formula and the current step's sum, as HTML.

Plain functions of a ``Scene`` (``convlab.engine.arithmetic``), so the panel only places them.
"""

from __future__ import annotations

import numpy as np

from convlab.engine.arithmetic import INPUT_CELL, ZERO_INSERTED, ScatterStep, Scene
from convlab.engine.layer import LayerScene, layer_parameter_count
from convlab.ui.widgets.number_grid import format_number


def formula_html(scene: Scene) -> str:
    """The output-size formula with this scene's numbers plugged in."""
    n, k = scene.grid.shape[0], scene.kernel.shape[0]
    p, s, d = scene.padding, scene.stride, scene.dilation
    if scene.mode in ("transposed", ZERO_INSERTED):
        return _transposed_formula(scene)
    numerator = n + 2 * p - d * (k - 1) - 1
    text = (
        f"output size = ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊({n} + 2·{p} − {d}·({k} − 1)"
        f" − 1) / {s}⌋ + 1 = ⌊{numerator} / {s}⌋ + 1"
    )
    if numerator < 0:
        return text + (
            " &nbsp;<span style='color:#c03030'>(negative: the kernel does not fit)</span>"
        )
    text += f" = <b>{numerator // s + 1}</b>"
    if numerator % s:
        text += (
            f"<br><span style='color:#8a6d00'>{numerator} is not a multiple of the stride "
            f"{s}: the last {numerator % s} row(s)/column(s) of the padded input are never "
            "covered by the window.</span>"
        )
    return text


def _transposed_formula(scene: Scene) -> str:
    n = scene.source_size or scene.grid.shape[0]
    k, p, s, d, a = (
        scene.kernel.shape[0],
        scene.padding,
        scene.stride,
        scene.dilation,
        scene.output_padding,
    )
    value = (n - 1) * s - 2 * p + d * (k - 1) + 1 + a
    text = (
        f"output size = (n − 1)·s − 2p + d(k − 1) + 1 + a = ({n} − 1)·{s} − 2·{p} + "
        f"{d}·({k} − 1) + 1 + {a} = <b>{value}</b>"
    )
    if value < 1:
        return text + " &nbsp;<span style='color:#c03030'>(nothing left)</span>"
    if scene.mode == ZERO_INSERTED:
        frame = d * (k - 1) - p
        text += (
            f"<br>The same numbers as a plain convolution: the {n} input cells per row spread "
            f"{s} apart ({s - 1} zero(s) between), framed by d(k − 1) − p = {frame} zero(s)"
            + (f" and {a} more at the bottom and right" if a else "")
            + ", and the kernel turned 180° slides over them with stride 1."
        )
    if s > 1 and not a:
        text += (
            f"<br><span style='color:#8a6d00'>With stride {s}, convolutions of {s} different "
            "input sizes shrink to the same output; the output padding a picks which one comes "
            "back.</span>"
        )
    return text


def step_html(scene: Scene) -> str:
    """The arithmetic of the current step, written out."""
    step = scene.current
    if scene.error:
        return ""
    if step is None:
        return "Press <b>Step</b> or <b>Play</b> to move the window."
    if isinstance(step, ScatterStep):
        rows = [r for r, ok in zip(step.rows, step.in_bounds.any(axis=1)) if ok]
        cols = [c for c, ok in zip(step.cols, step.in_bounds.any(axis=0)) if ok]
        where = (
            f"rows {rows[0]}–{rows[-1]}, columns {cols[0]}–{cols[-1]}"
            if rows and cols
            else "cells cropped away by the padding"
        )
        return (
            f"input[{step.in_row}, {step.in_col}] = <b>{format_number(step.value)}</b> "
            f"adds {format_number(step.value)} × kernel to output {where}; overlapping "
            "windows add up."
        )
    values = [format_number(v) for v in step.patch[step.in_bounds]]
    target = f"output[{step.out_row}, {step.out_col}]"
    if scene.mode == "max_pool":
        return f"{target} = max({', '.join(values)}) = <b>{format_number(step.value)}</b>"
    if scene.mode == "avg_pool":
        terms = " + ".join(format_number(v) for v in step.patch.ravel())
        text = f"{target} = ({terms}) / {step.patch.size} = <b>{format_number(step.value)}</b>"
        if (~step.in_bounds).any():
            text += "<br><i>padding counts as 0 in the average</i>"
        return text
    terms = []
    for (u, v), ok in np.ndenumerate(step.in_bounds):
        if scene.kinds is not None and scene.kinds[step.rows[u], step.cols[v]] != INPUT_CELL:
            continue  # an inserted or framing zero adds nothing
        if ok and scene.kernel[u, v] != 0:
            weight = format_number(scene.kernel[u, v])
            weight = f"({weight})" if scene.kernel[u, v] < 0 else weight
            terms.append(f"{format_number(step.patch[u, v])}·{weight}")
    skipped = int(step.in_bounds.size - len(terms))
    text = f"{target} = {' + '.join(terms) if terms else '0'} = <b>{format_number(step.value)}</b>"
    if skipped:
        text += (
            f"<br><i>{skipped} term(s) left out: a zero weight or a padding or inserted cell "
            "(which holds 0)</i>"
        )
    return text


def layer_formula_html(scene: LayerScene) -> str:
    """The CNN layer's output size and parameter count, with its numbers."""
    n, _, channels = scene.image.shape
    filters, _, k, _ = scene.weights.shape
    p, s, d = scene.padding, scene.stride, scene.dilation
    numerator = n + 2 * p - d * (k - 1) - 1
    count = layer_parameter_count(k, channels, filters)
    size = f"⌊({n} + 2·{p} − {d}·({k} − 1) − 1) / {s}⌋ + 1"
    size += f" = <b>{numerator // s + 1}</b>" if numerator >= 0 else " (the kernel does not fit)"
    return (
        f"output = {size} per side, × {filters} filter(s): one output map per filter, "
        f"whatever the {channels} input channel(s).<br>"
        f"parameters = K·(k·k·D + 1) = {filters}·({k}·{k}·{channels} + 1) = <b>{count}</b>: "
        f"each filter has a {k}×{k} slice per input channel and one bias (Why CNNs? counts "
        f"the {filters * k * k * channels} weights without the biases)."
    )


def layer_step_html(scene: LayerScene) -> str:
    """One output value of the layer, channel by channel."""
    step = scene.current
    if scene.error:
        return ""
    if step is None:
        return "Press <b>Step</b> or <b>Play</b>: every output value is one filter on one window."
    parts = " + ".join(
        f"{format_number(float(value))} (x[:, :, {channel}] ⊙ w{step.filter_index}[:, :, "
        f"{channel}])"
        for channel, value in enumerate(step.partial_sums)
    )
    return (
        f"o[{step.out_row}, {step.out_col}, {step.filter_index}] = {parts} + bias "
        f"{format_number(step.bias)} = <b>{format_number(step.value)}</b>"
    )
