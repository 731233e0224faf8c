"""``convolve``: the one exact definition of a convolution in ConvLab, computed the fastest way.

Definition (DESIGN.md)::

    out[i, j] = sum_uv K[u, v] * Xpad[i*stride + u*dilation, j*stride + v*dilation] / divisor
                + offset

where ``Xpad`` is the image extended by the border rule; ``padding="same"`` adds
``dilation*(kh-1)//2`` rows above and the rest of ``dilation*(kh-1)`` below (the PyTorch
convention, which decides where an even kernel sits), ``"valid"`` adds nothing, an int ``p`` adds
``p`` on every side.

This module validates the arguments and states the definition; ``conv_methods`` holds the
exact methods that compute it (filter2d, separable, multi_separable, dft, strided, dilated, and
the same on a float32 copy of an integer frame), and ``dispatch`` picks the cheapest by costs
measured with the installed OpenCV (``calibration``) and, for large frames, by timing the few
best candidates on the first frames of each layout. The tests compare every method against a
plain loop; ``method=`` forces one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import cv2
import numpy as np

from convlab.engine import calibration, dispatch
from convlab.engine.calibration import CostTable
from convlab.engine.conv_methods import METHOD_NAMES, Geometry, Job, Runner, bound, run_method
from convlab.engine.kernels import Kernel
from convlab.engine.sizes import output_size, whole_number
from convlab.errors import ConvlabError, KernelError

BORDERS = ("reflect101", "reflect", "replicate", "constant", "wrap")
"""Border rules, named as in DESIGN.md; numpy's np.pad names: reflect, symmetric, edge,
constant (zeros), wrap."""

MODES = ("correlate", "convolve")
CHANNEL_MODES = ("per_channel", "gray", "sum")
METHODS = ("auto", *METHOD_NAMES)


def _choice(value: Any, allowed: Sequence[str], what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise KernelError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _positive_int(value: Any, what: str) -> int:
    return whole_number(value, what, minimum=1, error=KernelError)


def as_kernel(kernel: Kernel | Any) -> Kernel:
    """A Kernel from a Kernel or a 2-D array of weights (validated by Kernel)."""
    return kernel if isinstance(kernel, Kernel) else Kernel(kernel)


def padding_amounts(
    kernel_shape: tuple[int, int], padding: str | int, dilation: int = 1
) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) rows/columns the border rule adds, per DESIGN.md."""
    dilation = _positive_int(dilation, "dilation")
    if isinstance(padding, str):
        _choice(padding, ("same", "valid"), "padding")
        if padding == "valid":
            return (0, 0), (0, 0)
        amounts = []
        for size in kernel_shape:
            total = dilation * (int(size) - 1)
            amounts.append((total // 2, total - total // 2))
        return amounts[0], amounts[1]
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise KernelError(
            f"padding must be 'same', 'valid' or a whole number >= 0, got {padding!r}"
        )
    return (int(padding), int(padding)), (int(padding), int(padding))


def output_shape(
    image_shape: Sequence[int],
    kernel_shape: Sequence[int],
    *,
    padding: str | int = "same",
    stride: int = 1,
    dilation: int = 1,
    channels: str = "per_channel",
) -> tuple[int, ...]:
    """The shape ``convolve`` will return, without computing anything (for the UI)."""
    if len(image_shape) not in (2, 3) or min(image_shape) < 1:
        raise ConvlabError(
            f"image must be HxW or HxWxC with no empty side, got shape {tuple(image_shape)}"
        )
    if len(kernel_shape) != 2 or min(kernel_shape) < 1:
        raise KernelError(f"kernel shape must be (rows, columns), got {tuple(kernel_shape)}")
    stride = _positive_int(stride, "stride")
    dilation = _positive_int(dilation, "dilation")
    _choice(channels, CHANNEL_MODES, "channels")
    pads = padding_amounts((int(kernel_shape[0]), int(kernel_shape[1])), padding, dilation)
    sizes = []
    for axis, name in ((0, "height"), (1, "width")):
        n, k = int(image_shape[axis]), int(kernel_shape[axis])
        try:
            sizes.append(output_size(n, k, padding=pads[axis], stride=stride, dilation=dilation))
        except ConvlabError as error:
            raise ConvlabError(f"image {name}: {error}") from None
    if len(image_shape) == 3 and channels == "per_channel":
        return (sizes[0], sizes[1], int(image_shape[2]))
    return (sizes[0], sizes[1])


# -- image preparation ----------------------------------------------------------------------

_NATIVE_DEPTHS = (np.uint8, np.uint16, np.int16, np.float32)

# channels="gray" uses ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B, cv2.COLOR_RGB2GRAY),
# computed in float32 so that nothing is rounded before the kernel sees it.


def _prepare_image(image: Any, channels: str) -> tuple[np.ndarray, bool]:
    """A 2-D or HxWxC array in a depth cv2 filters natively, and whether to keep a channel axis."""
    if not isinstance(image, np.ndarray):
        try:
            image = np.asarray(image)
        except (TypeError, ValueError):
            raise ConvlabError("image must be a numpy array (HxW or HxWxC)") from None
    if image.ndim not in (2, 3):
        raise ConvlabError(f"image must be HxW or HxWxC, got {image.ndim}-D shape {image.shape}")
    if image.size == 0:
        raise ConvlabError(f"image is empty (shape {image.shape})")
    if image.dtype.kind not in "biuf":
        raise ConvlabError(f"image must hold numbers, got dtype {image.dtype}")
    if image.ndim == 3 and image.shape[2] > 512:
        raise ConvlabError(f"image has {image.shape[2]} channels; at most 512 are supported")
    if image.dtype not in _NATIVE_DEPTHS:
        image = image.astype(np.float32)
    keep_channel_axis = image.ndim == 3
    if channels == "gray" and image.ndim == 3:
        count = image.shape[2]
        if count in (3, 4):
            code = cv2.COLOR_RGB2GRAY if count == 3 else cv2.COLOR_RGBA2GRAY
            image = cv2.cvtColor(image.astype(np.float32, copy=False), code)
        elif count in (1, 2):  # gray, or gray + alpha
            image = image[:, :, 0]
        else:
            raise ConvlabError(
                f"channels='gray' needs 1 to 4 channels (gray, gray+alpha, RGB, RGBA), got {count}"
            )
        keep_channel_axis = False
    elif channels == "sum" and image.ndim == 3:
        # a CNN layer's filter: the kernel on every channel, the results added (the same as
        # filtering the sum of the channels once, since convolution is linear)
        image = image.sum(axis=2, dtype=np.float32)
        keep_channel_axis = False
    elif image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    return image, keep_channel_axis


# -- public entry points --------------------------------------------------------------------


def make_job(
    image: Any,
    kernel: Kernel | Any,
    border: str,
    padding: str | int,
    stride: int,
    dilation: int,
    mode: str,
    channels: str,
) -> tuple[Job, bool]:
    """Validate every argument (naming the bad one) and gather what the methods need; the
    job and whether the result keeps a channel axis."""
    kernel = as_kernel(kernel)
    _choice(border, BORDERS, "border")
    _choice(mode, MODES, "mode")
    _choice(channels, CHANNEL_MODES, "channels")
    stride = _positive_int(stride, "stride")
    dilation = _positive_int(dilation, "dilation")
    prepared, keep_axis = _prepare_image(image, channels)
    out = output_shape(
        prepared.shape[:2], kernel.shape, padding=padding, stride=stride, dilation=dilation
    )
    weights = kernel.effective
    if mode == "convolve":
        weights = weights[::-1, ::-1]
    geometry = Geometry(
        in_size=(int(prepared.shape[0]), int(prepared.shape[1])),
        kernel_size=(dilation * (kernel.shape[0] - 1) + 1, dilation * (kernel.shape[1] - 1) + 1),
        pads=padding_amounts(kernel.shape, padding, dilation),
        out_size=(out[0], out[1]),
        stride=stride,
        dilation=dilation,
    )
    job = Job(prepared, np.ascontiguousarray(weights), kernel.offset, border, geometry)
    return job, keep_axis


def plan(
    image_shape: Sequence[int],
    kernel: Kernel | Any,
    *,
    border: str = "reflect101",
    padding: str | int = "same",
    stride: int = 1,
    dilation: int = 1,
    mode: str = "correlate",
    dtype: Any = np.uint8,
) -> str:
    """The method ``convolve`` picks for an image of this shape and dtype (for the status bar
    and the benchmark): the fastest measured, once its trials on such frames are done."""
    probe = np.broadcast_to(np.zeros((), dtype=dtype), tuple(int(n) for n in image_shape))
    job, _ = make_job(probe, kernel, border, padding, stride, dilation, mode, "per_channel")
    return dispatch.choose(job)


def tune(
    image: Any,
    kernel: Kernel | Any,
    *,
    border: str = "reflect101",
    padding: str | int = "same",
    stride: int = 1,
    dilation: int = 1,
    mode: str = "correlate",
    channels: str = "per_channel",
) -> str:
    """Time the candidate methods on ``image`` now, rather than over the next calls with frames
    of its layout, and return the one ``convolve`` will use (benchmarks call this first)."""
    job, _ = make_job(image, kernel, border, padding, stride, dilation, mode, channels)
    return dispatch.settle(job)


def convolve(
    image: Any,
    kernel: Kernel | Any,
    *,
    border: str = "reflect101",
    padding: str | int = "same",
    stride: int = 1,
    dilation: int = 1,
    mode: str = "correlate",
    channels: str = "per_channel",
    method: str = "auto",
) -> np.ndarray:
    """Apply ``kernel`` to ``image`` exactly as the module docstring defines; float32, unclipped.

    ``image`` is HxW or HxWxC (uint8, uint16 or float); ``kernel`` a Kernel or a 2-D array.
    ``channels="per_channel"`` filters every channel with the same kernel and keeps the channel
    axis; ``"gray"`` converts RGB(A) to luma first and returns HxW; ``"sum"`` adds the
    channels' results into one HxW map, as a CNN layer's k x k x C filter does when its C
    slices are this kernel (divisor and offset, the bias, applied once). ``method`` forces one
    computation (for tests and benchmarks); ``"auto"`` picks the fastest by measured costs (the
    first calls with a large frame time a few candidates, see ``dispatch``).
    """
    if method != "auto":
        _choice(method, METHODS, "method")
        job, keep_axis = make_job(image, kernel, border, padding, stride, dilation, mode, channels)
        return _as_output(run_method(method, job), keep_axis)
    call = (image, kernel, border, padding, stride, dilation, mode, channels)
    repeat_key = _repeat_key(call)
    repeat = _REPEATS.get(repeat_key) if repeat_key is not None else None
    if repeat is None or repeat.kernel is not kernel:
        job, keep_axis = make_job(*call)
        key = dispatch.job_key(job)
        if repeat_key is not None:
            as_given = job.image is image
            repeat = _remember(repeat_key, _Repeat(kernel, job, keep_axis, key, as_given))
        return _as_output(dispatch.compute(job, key=key), keep_axis)
    # already validated for this layout; a frame filtered as given needs no preparing either
    prepared = image if repeat.as_given else _prepare_image(image, channels)[0]
    return _as_output(repeat.run(prepared), repeat.keep_axis)


def _as_output(result: np.ndarray, keep_axis: bool) -> np.ndarray:
    """A method's result as convolve returns it: float32, C-contiguous, HxWxC when the
    image had a channel axis."""
    if keep_axis and result.ndim == 2:
        result = result[:, :, None]
    if not result.flags.c_contiguous or result.dtype != np.float32:
        result = np.ascontiguousarray(result, dtype=np.float32)
    return result


# -- the same call again --------------------------------------------------------------------
#
# The worker calls convolve with the same kernel and settings on every frame of a video, and
# at 640x480 a separable 3x3 takes OpenCV about 0.4 ms: 40 us of checking the arguments again
# and keying the dispatcher's tables was a tenth of the call. A call like one seen before (the
# same Kernel object, frame shape and dtype, and settings of the plain types the checks
# accepted) reuses that call's validated job and dispatch key; only the pixels are new.


class _Repeat:
    """A validated call, kept for the calls that repeat it."""

    __slots__ = ("as_given", "keep_axis", "kernel", "key", "settled", "template")

    def __init__(
        self, kernel: Kernel, template: Job, keep_axis: bool, key: dispatch.JobKey, as_given: bool
    ) -> None:
        self.kernel = kernel  # held, so that its id is not reused while the entry lives
        self.template = template  # a zero-cost probe for a frame: the entry keeps no pixels
        self.keep_axis = keep_axis
        self.key = key
        self.as_given = as_given  # the methods take the frame itself (no conversion, no view)
        # the method the dispatcher settled on, bound to this layout; for which costs and
        # which generation of measured choices (one tuple, so threads see all or nothing)
        self.settled: tuple[Runner, CostTable, int] | None = None

    def run(self, frame: np.ndarray) -> np.ndarray:
        """The call on ``frame`` (prepared): by the settled method, once there is one."""
        table = calibration.cost_table(wait=False)
        settled = self.settled
        if settled is not None and settled[1] is table and settled[2] == dispatch.generation():
            return settled[0](frame)
        generation = dispatch.generation()
        t = self.template
        result = dispatch.compute(Job(frame, t.weights, t.offset, t.border, t.geometry), table,
                                  self.key)  # fmt: skip
        method = dispatch.settled(self.key, table)
        if method is not None:
            self.settled = (bound(method, t), table, generation)
        return result


_REPEATS: dict[tuple[Any, ...], _Repeat] = {}
_MAX_REPEATS = 32


def _repeat_key(call: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """What a call's validation depends on, or None for a call to check in full every time
    (an array for a kernel, numpy or bool numbers, subclasses)."""
    image, kernel, border, padding, stride, dilation, mode, channels = call
    plain = (
        type(image) is np.ndarray
        and type(kernel) is Kernel
        and type(stride) is int
        and type(dilation) is int
        and type(padding) in (int, str)
        and type(border) is str
        and type(mode) is str
        and type(channels) is str
    )
    if not plain:
        return None
    return (id(kernel), image.shape, image.dtype, border, padding, stride, dilation, mode,
            channels)  # fmt: skip


def _remember(key: tuple[Any, ...], repeat: _Repeat) -> _Repeat:
    """Keep ``repeat`` without its frame; past ``_MAX_REPEATS`` entries, start again."""
    if len(_REPEATS) >= _MAX_REPEATS:
        _REPEATS.clear()
    image = repeat.template.image
    repeat.template = replace(
        repeat.template, image=np.broadcast_to(np.zeros((), image.dtype), image.shape)
    )
    _REPEATS[key] = repeat
    return repeat
