"""Small multilayer perceptrons shared by the policy, the critic and the discriminator."""

from __future__ import annotations

import math

from torch import nn


def mlp(in_dim: int, out_dim: int, hidden_size: int = 64, out_gain: float = 1.0) -> nn.Sequential:
    """Two tanh hidden layers, orthogonally initialised.

    Orthogonal weights with gain sqrt(2) on hidden layers and a small ``out_gain`` on the
    last layer (0.01 for a policy head: near-uniform actions at the start) are the usual PPO
    initialisation; they make small networks learn fast and reproducibly.
    """
    layers = [
        nn.Linear(in_dim, hidden_size),
        nn.Tanh(),
        nn.Linear(hidden_size, hidden_size),
        nn.Tanh(),
        nn.Linear(hidden_size, out_dim),
    ]
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    for i, layer in enumerate(linears):
        gain = out_gain if i == len(linears) - 1 else math.sqrt(2.0)
        nn.init.orthogonal_(layer.weight, gain=gain)
        nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)
