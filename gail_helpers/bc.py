"""Behaviour cloning: learn pi(a|s) by maximum likelihood on the expert's (s, a) pairs.

    min_pi  E_{(s,a) ~ expert}[ -log pi(a|s) ]

For discrete actions this is the cross-entropy of a classifier; for continuous ones the
Gaussian negative log-likelihood.  No environment interaction, no reward: the learner only
ever sees the expert's states, which is why its errors compound once it drifts off them.
"""

from __future__ import annotations

import torch

from gail_helpers.config import BCConfig
from gail_helpers.demonstrations import Demonstrations
from gail_helpers.envs import env_signature
from gail_helpers.errors import check_finite
from gail_helpers.history import History
from gail_helpers.policies import ActorCritic


def train_bc(demos: Demonstrations, config: BCConfig | None = None) -> tuple[ActorCritic, History]:
    """Fit a fresh policy to ``demos``; the history has per-epoch ``loss`` and ``accuracy``.

    ``accuracy`` (discrete actions only) is the share of expert pairs where the policy's most
    likely action is the expert's.  Each epoch takes ``len(demos) // batch_size`` shuffled
    minibatches; the remainder is left out of that epoch (and is in the next one's shuffle).
    """
    config = config or BCConfig()
    demos.check_env(demos.env_id)
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    obs, actions = demos.tensors()
    obs_dim, spec = env_signature(demos.env_id)
    policy = ActorCritic(obs_dim, spec, config.hidden_size)
    optimizer = torch.optim.Adam(policy.actor.parameters(), lr=config.learning_rate)
    history = History()
    n, size = len(obs), min(config.batch_size, len(obs))
    for epoch in range(config.epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n - size + 1, size):
            idx = order[start : start + size]
            loss = -policy.distribution(obs[idx]).log_prob(actions[idx]).mean()  # -log pi(a|s)
            check_finite(f"behaviour cloning, epoch {epoch}", {"loss": loss.item()},
                         hint=f"Try a smaller learning_rate (now {config.learning_rate}).")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            dist = policy.distribution(obs)
            row = {"epoch": epoch, "loss": -dist.log_prob(actions).mean().item()}
            if policy.action_spec.discrete:
                row["accuracy"] = (dist.probs.argmax(-1) == actions).float().mean().item()
        history.append(row)
    return policy, history
