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

from gail_helpers.config import GAILConfig
from gail_helpers.demonstrations import Demonstrations
from gail_helpers.discriminator import Discriminator, DiscriminatorTrainer
from gail_helpers.envs import env_signature
from gail_helpers.errors import DemonstrationError
from gail_helpers.rewards import reward_from_logits
from gail_helpers.rollout import Rollout
from gail_helpers.training import Callback, TrainingResult, train_ppo


class GAILRewardModel:
    """Trains the discriminator on each rollout, then relabels the rollout's rewards."""

    def __init__(self, trainer: DiscriminatorTrainer, config: GAILConfig) -> None:
        self.trainer = trainer
        self.config = config
        self.iteration = 0

    def relabel(self, rollout: Rollout) -> tuple[torch.Tensor, dict[str, float]]:
        """D update(s) on the rollout's valid pairs, then r(s,a) from D for every step."""
        obs, actions = rollout.valid_pairs()
        passes = 0 if self.config.freeze_discriminator else self.config.disc_updates
        self.trainer.update(obs, actions, passes, f"GAIL iteration {self.iteration}")
        self.iteration += 1
        stats = self.trainer.measure(obs, actions)
        steps, envs = rollout.rewards.shape
        with torch.no_grad():
            logits = self.trainer.disc(rollout.obs.reshape(steps * envs, -1), rollout.actions.flatten(0, 1))
        rewards = reward_from_logits(logits, self.config.reward_form).reshape(steps, envs)
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
    """Train a fresh PPO learner and discriminator from ``demos`` on ``env_id``.

    ``env_id`` defaults to the environment the demonstrations were recorded on, and must match
    their observation and action spaces.  ``demos=None`` is the *no-demonstrations control*:
    the expert term of D's objective is empty, so D only learns to call policy pairs fake;
    pass ``env_id`` then.  ``same_env_id=False`` lets demonstrations recorded on one env id train
    on another with the same spaces.  The result's ``discriminator`` is the trained D.
    """
    config = config or GAILConfig()
    if demos is None:
        if env_id is None:
            raise DemonstrationError("with demos=None (the no-demonstrations control) pass env_id")
    else:
        env_id = env_id or demos.env_id
        demos.check_env(env_id, same_env_id)
    obs_dim, spec = env_signature(env_id)
    if demos is None:
        expert_obs = torch.zeros((0, obs_dim))
        expert_actions = torch.zeros((0,) if spec.discrete else (0, spec.n), dtype=spec.torch_dtype)
    else:
        expert_obs, expert_actions = demos.tensors()
    seed = config.ppo.seed
    torch.manual_seed(seed + 1)  # D's initial weights; train_ppo seeds the policy with `seed`
    disc = Discriminator(obs_dim, spec, config.disc_hidden_size)
    trainer = DiscriminatorTrainer(
        disc, expert_obs, expert_actions, config.disc_learning_rate, config.disc_minibatch,
        config.grad_penalty, torch.Generator().manual_seed(seed + 1),
    )
    return train_ppo(
        config.ppo, env_id, reward_model=GAILRewardModel(trainer, config), callback=callback,
        progress=progress, label="GAIL", discriminator=disc,
    )
