"""Small multilayer perceptrons, one per seed, that run for all seeds in one matrix multiply.

Every network in the course trains S independent seeds at once.  A :class:`SeedLinear` layer
stores S separate linear layers as one weight tensor [S, in, out]; its input carries the seed
axis first, [S, batch, in], and ``torch.baddbmm`` computes all S products in one call:

    y[s] = x[s] @ W[s] + b[s]        for every seed s

Nothing mixes seeds: seed s's output depends only on seed s's input and weights, and so do its
gradients.  With S = 1 this is an ordinary linear layer.  (PureJaxRL gets the same effect with
``jax.vmap``; a stacked weight reads more plainly.)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gail_helpers.checks import check_int


class SeedLinear(nn.Module):
    """S independent linear layers: input [S, B, in] -> output [S, B, out]."""

    def __init__(self, in_dim: int, out_dim: int, gain: float, generators: list[torch.Generator]) -> None:
        super().__init__()
        weight = torch.empty(len(generators), in_dim, out_dim)
        for w, g in zip(weight, generators, strict=True):  # each seed's weights from its own generator
            nn.init.orthogonal_(w.T, gain=gain, generator=g)
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(torch.zeros(len(generators), 1, out_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [S, B, in] -> x[s] @ W[s] + b[s] for every seed, one batched matrix multiply."""
        return torch.baddbmm(self.bias, x, self.weight)


def mlp(
    in_dim: int, out_dim: int, generators: list[torch.Generator], hidden_size: int = 64, out_gain: float = 1.0
) -> nn.Sequential:
    """Two tanh hidden layers per seed, orthogonally initialised (one generator per seed).

    Orthogonal weights with gain sqrt(2) on hidden layers and a small ``out_gain`` on the
    last layer (0.01 for a policy head: near-uniform actions at the start) are the usual PPO
    initialisation; they make small networks learn fast and reproducibly.
    """
    return nn.Sequential(
        SeedLinear(in_dim, hidden_size, math.sqrt(2.0), generators),
        nn.Tanh(),
        SeedLinear(hidden_size, hidden_size, math.sqrt(2.0), generators),
        nn.Tanh(),
        SeedLinear(hidden_size, out_dim, out_gain, generators),
    )


def take_seed(module: nn.Module, index: int) -> dict[str, torch.Tensor]:
    """The state_dict of seed number ``index`` (0 .. S-1) of ``module`` (which lists its ``seeds``)
    alone: every parameter keeps a seed axis of size 1.  A bad index raises IndexError."""
    index = check_int("index", index)
    if not 0 <= index < len(module.seeds):
        raise IndexError(f"seed index {index}: allowed 0..{len(module.seeds) - 1} (seeds {module.seeds})")
    return {k: v[index : index + 1].clone() for k, v in module.state_dict().items()}
