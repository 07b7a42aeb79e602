"""GAIL: generative adversarial imitation learning (Ho & Ermon, 2016).

Each iteration of :func:`gail_helpers.training.train_ppo`, with :class:`GAILRewardModel`:

1. the policy (the GAN's generator) collects a rollout;
2. the discriminator takes ``disc_updates`` passes of
   max_D E_expert[log D(s,a)] + E_policy[log(1 - D(s,a))];
3. the rollout's rewards are replaced by r(s,a) = -log(1 - D(s,a)) (or another form);
4. PPO improves the policy on those rewards, i.e. min_pi E_pi[log(1 - D(s,a))].

The environment's own reward is never used for learning; it is only reported.
"""

from __future__ import annotations

import torch

from gail_helpers.checks import check_instance
from gail_helpers.config import GAILConfig
from gail_helpers.demonstrations import LOAD_HINT, Demonstrations
from gail_helpers.discriminator import Discriminator, DiscriminatorTrainer
from gail_helpers.envs import env_signature
from gail_helpers.errors import ConfigError, DemonstrationError
from gail_helpers.rewards import reward_from_logits
from gail_helpers.rollout import Rollout
from gail_helpers.training import Callback, TrainingResult, train_ppo


class GAILRewardModel:
    """Trains the discriminator on each rollout, then relabels the rollout's rewards."""

    def __init__(self, trainer: DiscriminatorTrainer, config: GAILConfig) -> None:
        self.trainer = trainer
        self.config = config

    @property
    def discriminator(self) -> Discriminator:
        """D, for every seed."""
        return self.trainer.disc

    def frozen(self) -> GAILRewardModel:
        """This D as a fixed reward: relabels with the D as trained so far and never trains it again
        (to train a fresh learner on GAIL's final D)."""
        return GAILRewardModel(self.trainer, self.config.replace(freeze_discriminator=True))

    def relabel(self, rollout: Rollout) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """D update(s) on the rollout's pairs, then r(s,a) from D for every step; rewards [T, S, N]."""
        pairs = {"obs": rollout.per_seed("obs"), "actions": rollout.per_seed("actions")}  # [S, T * N, ...]
        valid = rollout.per_seed("valid")
        passes = 0 if self.config.freeze_discriminator else self.config.disc_updates
        self.trainer.update(pairs, valid, passes)
        stats, logits = self.trainer.measure(pairs, valid)  # logits [S, T * N] of D as just trained
        steps, seeds, envs = rollout.rewards.shape
        rewards = reward_from_logits(logits, self.config.reward_form).view(seeds, steps, envs).transpose(0, 1)
        return rewards * rollout.valid, stats


def train_gail(
    demos: Demonstrations | None,
    config: GAILConfig | None = None,
    env_id: str | None = None,
    *,
    callback: Callback | None = None,
    progress: bool = True,
    same_env_id: bool = True,
) -> TrainingResult:
    """Train fresh PPO learners and discriminators, one of each per seed in ``config.ppo.seeds``,
    from ``demos`` on ``env_id``.

    ``env_id`` defaults to the environment the demonstrations were recorded on, and must match
    their observation and action spaces.  ``demos=None`` is the *no-demonstrations control*:
    the expert term of D's objective is empty, so D only learns to call policy pairs fake;
    pass ``env_id`` then.  ``same_env_id=False`` lets demonstrations recorded on one env id train
    on another with the same spaces.  The result's ``discriminator`` is the trained D.
    """
    config = GAILConfig() if config is None else config
    if not isinstance(config, GAILConfig):
        raise ConfigError(f"train_gail needs a GAILConfig, got {type(config).__name__}")
    if demos is None:
        if env_id is None:
            raise DemonstrationError("with demos=None (the no-demonstrations control) pass env_id")
    else:
        check_instance("demos", demos, Demonstrations, LOAD_HINT, DemonstrationError)
        env_id = demos.env_id if env_id is None else env_id
        demos.check_env(env_id, same_env_id)
    obs_dim, spec = env_signature(env_id)
    if demos is None:
        expert_obs = torch.zeros((0, obs_dim))
        expert_actions = torch.zeros((0,) if spec.discrete else (0, spec.n), dtype=spec.torch_dtype)
    else:
        expert_obs, expert_actions = demos.tensors()
    disc = Discriminator(obs_dim, spec, config.disc_hidden_size, config.ppo.seeds)
    trainer = DiscriminatorTrainer(
        disc, {"obs": expert_obs, "actions": expert_actions}, config.disc_learning_rate, config.disc_minibatch,
        config.grad_penalty,
    )
    return train_ppo(
        config.ppo, env_id, reward_model=GAILRewardModel(trainer, config), callback=callback,
        progress=progress, label="GAIL",
    )
