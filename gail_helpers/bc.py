"""Behaviour cloning: learn pi(a|s) by maximum likelihood on the expert's (s, a) pairs.

    min_pi  E_{(s,a) ~ expert}[ -log pi(a|s) ]

For discrete actions this is the cross-entropy of a classifier; for continuous ones the
Gaussian negative log-likelihood.  No environment interaction, no reward: the learner only
ever sees the expert's states, which is why its errors compound once it drifts off them.
S seeds train at once on the same demonstrations, each with its own weights and shuffles.
"""

from __future__ import annotations

import torch

from gail_helpers.checks import check_instance
from gail_helpers.config import BCConfig
from gail_helpers.demonstrations import LOAD_HINT, Demonstrations
from gail_helpers.envs import env_signature
from gail_helpers.errors import ConfigError, DemonstrationError, TrainingDivergedError, check_finite
from gail_helpers.history import History
from gail_helpers.policies import ActorCritic
from gail_helpers.seed_axis import minibatch_indices
from gail_helpers.seeding import generators
from gail_helpers.training import TrainingResult


def train_bc(demos: Demonstrations, config: BCConfig | None = None) -> TrainingResult:
    """Fit fresh policies (one per seed in ``config.seeds``) to ``demos``.

    Each seed's history has per-epoch ``loss`` and ``accuracy``: the share of expert pairs
    where the policy's most likely action is the expert's (discrete actions only).  Each epoch
    takes ``len(demos) // batch_size`` shuffled minibatches; the remainder is left out of that
    epoch (and is in the next one's shuffle).  A kernel interrupt ends training early and
    returns what was learned so far (``stop_reason == "interrupted"``).
    """
    config = BCConfig() if config is None else config
    if not isinstance(config, BCConfig):
        raise ConfigError(f"train_bc needs a BCConfig, got {type(config).__name__}")
    check_instance("demos", demos, Demonstrations, LOAD_HINT, DemonstrationError)
    demos.check_env(demos.env_id)
    obs, actions = demos.tensors()
    obs_dim, spec = env_signature(demos.env_id)
    policy = ActorCritic(obs_dim, spec, config.hidden_size, config.seeds)
    optimizer = torch.optim.Adam(policy.actor.parameters(), lr=config.learning_rate)
    shuffles = generators(policy.seeds, "minibatches")
    result = TrainingResult(policy, [History() for _ in policy.seeds], policy.seeds)
    try:
        for epoch in range(config.epochs):
            for idx in minibatch_indices(len(obs), config.batch_size, shuffles):
                loss = -policy.distribution(obs[idx]).log_prob(actions[idx]).mean(-1)  # -log pi(a|s), per seed
                check_finite("the behaviour-cloning loss", loss.detach(),
                             f"Try a smaller learning_rate (now {config.learning_rate}).")
                optimizer.zero_grad()
                loss.sum().backward()
                optimizer.step()
            for history, row in zip(result.histories, _epoch_figures(policy, obs, actions, epoch), strict=True):
                history.append(row)
    except TrainingDivergedError as exc:
        exc.add_note(f"at behaviour-cloning epoch {epoch}")
        raise
    except KeyboardInterrupt:
        result.stop_reason = "interrupted"
    return result


@torch.no_grad()
def _epoch_figures(policy: ActorCritic, obs: torch.Tensor, actions: torch.Tensor, epoch: int) -> list[dict]:
    """Loss (and accuracy, for discrete actions) of every seed on all demonstrated pairs."""
    dist = policy.distribution(obs.expand(policy.num_seeds, *obs.shape))
    figures = {"loss": -dist.log_prob(actions.expand(policy.num_seeds, *actions.shape)).mean(-1)}
    if policy.action_spec.discrete:
        figures["accuracy"] = (dist.probs.argmax(-1) == actions).float().mean(-1)
    columns = {k: v.tolist() for k, v in figures.items()}
    return [{"epoch": epoch, **{k: v[s] for k, v in columns.items()}} for s in range(policy.num_seeds)]
