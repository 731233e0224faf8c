"""Optimizers: turn the gradients left by ``backward`` into parameter updates.

Both follow PyTorch's definitions exactly (torch.optim.SGD with dampening 0, torch.optim.Adam
with L2 weight decay added to the gradient), so the same hyper-parameters mean the same thing.
Parameters are updated in place: arrays that other code holds (the UI's filter views) stay valid.
Frozen layers (``trainable = False``) are skipped.
"""

from __future__ import annotations

import numpy as np

from convlab.cnn.model import Sequential
from convlab.errors import ConvlabError


class Optimizer:
    """Walks the trainable parameters of a model; subclasses define ``_update``."""

    def __init__(self, model: Sequential, lr: float, weight_decay: float) -> None:
        if lr <= 0:
            raise ConvlabError(f"learning rate must be positive, got {lr}")
        if weight_decay < 0:
            raise ConvlabError(f"weight decay must not be negative, got {weight_decay}")
        self.model = model
        self.lr = lr
        self.weight_decay = weight_decay
        #: per-parameter state (momentum, moments), keyed by (layer index, parameter name)
        self.state: dict[tuple[int, str], dict[str, np.ndarray]] = {}

    def step(self) -> None:
        """Update every trainable parameter once from its current gradient."""
        for index, layer in enumerate(self.model.layers):
            if not layer.trainable:
                continue
            for name, param in layer.params.items():
                grad = layer.grads[name]
                if self.weight_decay:
                    grad = grad + param.dtype.type(self.weight_decay) * param
                self._update(param, grad, self.state.setdefault((index, name), {}))

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with momentum: v <- momentum * v + g;  p <- p - lr * v."""

    def __init__(
        self,
        model: Sequential,
        lr: float = 0.01,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(model, lr, weight_decay)
        if not 0.0 <= momentum < 1.0:
            raise ConvlabError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum = momentum

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]) -> None:
        if self.momentum:
            if "velocity" not in state:
                state["velocity"] = grad.copy()  # PyTorch starts the buffer at the first gradient
            else:
                velocity = state["velocity"]
                velocity *= param.dtype.type(self.momentum)
                velocity += grad
            grad = state["velocity"]
        param -= param.dtype.type(self.lr) * grad


class Adam(Optimizer):
    """Adam: per-parameter step sizes from running averages of the gradient and its square.

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  p <- p - lr * m_hat / (sqrt(v_hat) + eps)
    where m_hat, v_hat undo the bias of starting both averages at zero.
    """

    def __init__(
        self,
        model: Sequential,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(model, lr, weight_decay)
        if not all(0.0 <= beta < 1.0 for beta in betas):
            raise ConvlabError(f"Adam betas must be in [0, 1), got {betas}")
        self.betas = betas
        self.eps = eps

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]) -> None:
        beta1, beta2 = self.betas
        if "step" not in state:
            state["step"] = np.zeros((), dtype=np.int64)
            state["mean"] = np.zeros_like(param)
            state["square"] = np.zeros_like(param)
        state["step"] += 1
        step = int(state["step"])
        mean, square = state["mean"], state["square"]
        mean *= param.dtype.type(beta1)
        mean += param.dtype.type(1 - beta1) * grad
        square *= param.dtype.type(beta2)
        square += param.dtype.type(1 - beta2) * grad * grad
        step_size = self.lr / (1 - beta1**step)
        denominator = np.sqrt(square / param.dtype.type(1 - beta2**step))
        denominator += param.dtype.type(self.eps)
        param -= param.dtype.type(step_size) * mean / denominator
