"""The network's matrix products run on one BLAS thread unless asked otherwise, and the
caller's own setting comes back afterwards."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from convlab.cnn import blas
from convlab.cnn.layers import Layer
from convlab.cnn.model import Sequential

pytestmark = pytest.mark.skipif(
    not any(lib["user_api"] == "blas" for lib in threadpool_info()), reason="no BLAS found"
)


def blas_thread_counts() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


class Spy(Layer):
    """Records the BLAS threads in effect while the network runs through it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[set[int]] = []

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self.seen.append(blas_thread_counts())
        return x @ np.eye(x.shape[-1], dtype=x.dtype)

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        self.seen.append(blas_thread_counts())
        return dout


def test_forward_and_backward_use_one_thread_by_default_and_restore_the_caller() -> None:
    spy = Spy()
    model = Sequential(spy)
    with blas.blas_threads(2):
        before = blas_thread_counts()
        model.backward(model.forward(np.ones((2, 3), np.float32)))
        assert blas_thread_counts() == before  # the caller's setting is back
    assert spy.seen == [{blas.DEFAULT_THREADS}, {blas.DEFAULT_THREADS}]


def test_threads_none_leaves_blas_alone_and_a_number_sets_it() -> None:
    spy = Spy()
    model = Sequential(spy)
    with blas.blas_threads(2):
        model.threads = None
        model.forward(np.ones((2, 3), np.float32))
        model.threads = 2
        model.forward(np.ones((2, 3), np.float32))
    assert spy.seen == [{2}, {2}]


def test_without_threadpoolctl_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy()
    with threadpool_limits(2, user_api="blas"):
        monkeypatch.setitem(blas._controller, "controller", None)
        Sequential(spy).forward(np.ones((1, 2), np.float32))
    assert spy.seen == [{2}]


def test_limits_from_two_threads_that_end_out_of_order_restore_the_caller_last() -> None:
    """A forward pass on the GUI thread and an evaluation on a helper overlap: the first to
    end must not lift the other's limit, and the last to end brings the caller's back."""
    with blas.blas_threads(2):
        gui, helper = blas.blas_threads(1), blas.blas_threads(1)
        gui.__enter__()
        helper.__enter__()
        gui.__exit__(None, None, None)  # the GUI's pass ends first
        assert blas_thread_counts() == {1}  # the helper still runs on one thread
        helper.__exit__(None, None, None)
        assert blas_thread_counts() == {2}
