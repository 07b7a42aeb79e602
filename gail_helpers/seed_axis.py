"""Tensors whose first axis is the seed: the few operations that must treat each seed apart.

Everything else in the package is ordinary tensor code that happens to carry a leading seed
axis S.  These helpers are where a mean, a minibatch or a gradient norm must not mix seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch


def masked_mean(mask: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """The per-seed mean over the entries where mask [S, B] is True: ``masked_mean(mask)(x)`` is [S].

    A rollout's next-step-autoreset steps are not transitions (``Rollout.valid``); they stay in
    the tensors, so every seed's batch keeps the same shape, and are left out of every mean.
    """
    weights = mask.float()
    weights = weights / weights.sum(-1, keepdim=True).clamp(min=1.0)
    return lambda x: (x * weights).sum(-1)


def normalise(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(x - mean) / (std + 1e-8) per seed over the valid entries (std with n - 1, as torch.std)."""
    mean = masked_mean(mask)
    centred = x - mean(x).unsqueeze(-1)
    n = mask.sum(-1)
    std = (mean(centred.pow(2)) * n / (n - 1).clamp(min=1)).sqrt()
    return centred / (std.unsqueeze(-1) + 1e-8)


def minibatch_indices(size: int, minibatch: int, generators: list[torch.Generator]) -> Iterator[torch.Tensor]:
    """One shuffled pass over ``size`` items per seed, in minibatches: yields indices [S, minibatch].

    Each seed shuffles with its own generator; the last ``size % minibatch`` items of each
    shuffle are left out of this pass (they are in the next pass's shuffle).
    """
    minibatch = max(1, min(minibatch, size))
    order = torch.stack([torch.randperm(size, generator=g) for g in generators])
    for start in range(0, size - minibatch + 1, minibatch):
        yield order[:, start : start + minibatch]


def gather(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """x [S, N, ...] at per-seed positions index [S, B]: x[s, index[s]] for every seed, [S, B, ...]."""
    seeds = torch.arange(x.shape[0]).unsqueeze(1)
    return x[seeds, index]


def clip_grad_norm_per_seed(params: list[torch.nn.Parameter], max_norm: float) -> torch.Tensor:
    """Scale each seed's gradient so that its norm (over all its parameters) is at most ``max_norm``.

        ||g_s|| = sqrt(sum over parameters of |grad[s]|^2),    g_s <- g_s * min(1, max_norm / ||g_s||)

    torch's ``clip_grad_norm_`` would take one norm over all seeds together. Returns ||g_s||, [S].
    """
    grads = [p.grad for p in params if p.grad is not None]
    norms = torch.stack([g.flatten(1).pow(2).sum(1) for g in grads]).sum(0).sqrt()
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.view(-1, *[1] * (g.dim() - 1)))
    return norms
