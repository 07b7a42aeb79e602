"""DAgger (Ross, Gordon & Bagnell, 2011): behaviour cloning that asks the expert about the learner's own states.

Behaviour cloning trains on the expert's states, s ~ d_{pi_E}, but acts on its own, s ~ d_pi.  Where
the two differ, its mistakes lead it to states it was never shown, where it errs more: over T steps
a per-step error eps can cost up to about eps * T^2.  DAgger (dataset aggregation) labels the states
the learner really visits with the expert's actions, and clones again from all pairs so far:

    D_0 = the demonstrations,                 pi_0 = BC(D_0)
    for i = 1 .. rounds:
        run pi_{i-1}; keep its states          s ~ d_{pi_{i-1}}
        D_i = D_{i-1}  U  {(s, pi_E(s))}       (the expert labels every visited state)
        pi_i = BC(D_i)                          (plain behaviour cloning on the aggregate)

The data now cover the states the learner's own mistakes lead to, so the error that matters, the one
on d_pi, is the one BC minimises, and the cost grows like eps * T rather than eps * T^2.  The price: the
expert must answer questions (``expert(states)``), not only hand over a recording.

Each seed runs the whole loop on its own data set (the states *its* policy visited), so seeds stay
independent: seed s's result is the same whether it runs alone or beside others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from gail_helpers.bc import train_bc
from gail_helpers.config import BCConfig
from gail_helpers.demonstrations import Demonstrations
from gail_helpers.envs import env_signature
from gail_helpers.evaluation import Controller, as_controller, run_episodes_per_seed
from gail_helpers.history import History
from gail_helpers.policies import ActorCritic
from gail_helpers.seeding import DAGGER_ROLLOUT_SEED, HELD_OUT_EVAL_SEED


@dataclass
class DaggerResult:
    """What DAgger produced for S seeds."""

    policy: ActorCritic  # the last round's clones, all seeds (seed i alone: policy.seed_policy(i))
    histories: list[History]  # per seed, one row per round: round, pairs, accuracy (and eval_return)
    seeds: list[int]
    data: list[Demonstrations]  # per seed, the aggregated expert-labelled pairs the last clone was trained on


def epochs_for(pairs: int, batch_size: int, gradient_steps: int) -> int:
    """Epochs that give about ``gradient_steps`` minibatch steps on ``pairs`` pairs (within BCConfig's 1..1000)."""
    steps_per_epoch = max(1, pairs // min(batch_size, pairs))
    return min(1000, max(1, math.ceil(gradient_steps / steps_per_epoch)))


def dagger(
    expert: ActorCritic | Controller,
    demos: Demonstrations,
    config: BCConfig,
    rounds: int = 3,
    episodes_per_round: int = 2,
    gradient_steps: int = 1000,
    eval_episodes: int = 20,
) -> DaggerResult:
    """Run DAgger for every seed in ``config.seeds``, starting from ``demos``; return the last round's clones.

    Round 0 is plain BC on ``demos``.  Each later round runs every seed's current clone greedily for
    ``episodes_per_round`` episodes, adds the visited states with the ``expert``'s actions to that seed's
    data, and clones afresh with :func:`~gail_helpers.bc.train_bc` (``config``'s learning rate, batch and
    network; epochs chosen for about ``gradient_steps`` steps, so each round costs the same however large
    the data).  After every round each seed is evaluated on ``eval_episodes`` greedy held-out episodes
    (0: not evaluated), which is the history's ``eval_return``.
    """
    if rounds < 0 or episodes_per_round < 1:
        raise ValueError(f"rounds = {rounds}, episodes_per_round = {episodes_per_round}: allowed 0+ and 1+")
    label = as_controller(expert)
    data = [demos] * config.num_seeds
    histories = [History() for _ in config.seeds]
    policy = _clone_and_record(data, config, gradient_steps, histories, eval_episodes)  # pi_0 = BC(D_0)
    for i in range(1, rounds + 1):
        # the current clones act; the expert labels every state they visit; each seed clones again
        visited = run_episodes_per_seed(policy, demos.env_id, episodes_per_round, DAGGER_ROLLOUT_SEED + 1000 * i)
        data = [_aggregate(d, batch.observations, label) for d, batch in zip(data, visited, strict=True)]  # D_i
        policy = _clone_and_record(data, config, gradient_steps, histories, eval_episodes)  # pi_i = BC(D_i)
    return DaggerResult(policy, histories, config.seeds, data)


def _aggregate(data: Demonstrations, episodes: list[np.ndarray], label: Controller) -> Demonstrations:
    """``data`` plus the states of ``episodes`` labelled with the expert's actions (as one pseudo-episode)."""
    states = np.concatenate(episodes).astype(np.float32)
    return Demonstrations(
        obs=np.concatenate([data.obs, states]),
        actions=np.concatenate([data.actions, np.asarray(label(states)).astype(data.actions.dtype)]),
        episode_lengths=np.append(data.episode_lengths, len(states)),
        episode_returns=np.append(data.episode_returns, 0.0).astype(np.float32),  # unknown: a placeholder
        env_id=data.env_id,
    )


def _clone_and_record(
    data: list[Demonstrations], config: BCConfig, gradient_steps: int, histories: list[History], eval_episodes: int
) -> ActorCritic:
    """BC on each seed's own data, as one S-seed policy; append a row (and an evaluation) to each history.

    Seed s trained alone draws the same random numbers as in a batch (:mod:`gail_helpers.seeding`).
    """
    clones = []
    for seed, pairs, history in zip(config.seeds, data, histories, strict=True):
        epochs = epochs_for(len(pairs.obs), config.batch_size, gradient_steps)
        result = train_bc(pairs, config.replace(epochs=epochs, seed=seed, num_seeds=1))
        clones.append(result.policy)
        row = result.histories[0].rows[-1]
        history.append({"round": len(history), "pairs": len(pairs.obs), "accuracy": row.get("accuracy", math.nan)})
    obs_dim, spec = env_signature(data[0].env_id)
    policy = ActorCritic(obs_dim, spec, config.hidden_size, config.seeds)
    policy.load_state_dict({k: torch.cat([c.state_dict()[k] for c in clones]) for k in policy.state_dict()})
    policy.eval()
    if eval_episodes:
        evaluations = run_episodes_per_seed(policy, data[0].env_id, eval_episodes, HELD_OUT_EVAL_SEED)
        for history, batch in zip(histories, evaluations, strict=True):
            history.rows[-1]["eval_return"] = batch.mean_return
    return policy
