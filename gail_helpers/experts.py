"""The experts shipped with the course, and the command that regenerates them.

Files in ``gail_helpers/data/`` (small, read offline):

* ``cartpole_expert.pt`` / ``.json`` - a PPO policy for CartPole-v1 (a plain state_dict,
  loaded with ``weights_only=True``) and its architecture and training figures;
* ``cartpole_expert_demos.npz`` - 20 greedy episodes of that expert;
* ``cartpole_styled_demos.npz`` - 20 episodes of :class:`StyledCartPoleController`, which
  balances while holding the cart near x = +1 (the *how*, not only the *how well*);
* beyond CartPole (notebook 09), an expert ``<name>_expert.pt`` / ``.json`` and its 20 greedy
  episodes ``<name>_expert_demos.npz`` for each of:

  - ``pendulum`` (Pendulum-v1, continuous torque, always 200 steps): PPO with the Gaussian
    policy, :data:`PENDULUM_EXPERT_CONFIG`;
  - ``mountaincar`` (MountainCar-v0, -1 per step until the flag, observed rescaled to [-1, 1]:
    :data:`~gail_helpers.envs.SCALED_MOUNTAINCAR`) and ``acrobot`` (Acrobot-v1, -1 per step until
    the tip swings above the line): PPO on these sparse rewards is unreliable,
    so each expert is a hand-written controller (:class:`MountainCarEnergyController`,
    :class:`AcrobotSwingController`) *distilled* by behaviour cloning into the course's
    :class:`~gail_helpers.policies.ActorCritic` (:func:`distil`), so that it ships as a state_dict
    like the others.  Its greedy return is within a few steps of the controller's (the .json
    holds both).

Regenerate all of them (about two minutes on 2 CPU cores), or some::

    python -m gail_helpers.experts
    python -m gail_helpers.experts --only pendulum mountaincar --out /tmp/experts
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from gail_helpers.bc import train_bc
from gail_helpers.checks import as_float_array, check_number, shown
from gail_helpers.config import BCConfig, PPOConfig
from gail_helpers.demonstrations import Demonstrations, record_demonstrations
from gail_helpers.envs import SCALED_MOUNTAINCAR
from gail_helpers.errors import InputError
from gail_helpers.evaluation import Controller, run_episodes
from gail_helpers.policies import ActorCritic, load_policy, save_policy
from gail_helpers.seeding import DEMO_SEED
from gail_helpers.training import train_ppo

DATA_DIR = Path(__file__).parent / "data"
EXPERT_ENVS = {
    "cartpole": "CartPole-v1",
    "pendulum": "Pendulum-v1",
    "mountaincar": SCALED_MOUNTAINCAR,
    "acrobot": "Acrobot-v1",
}
"""The shipped experts by name, and the environment each acts on."""
EXPERT_POLICIES = {name: DATA_DIR / f"{name}_expert.pt" for name in EXPERT_ENVS}
EXPERT_POLICY = EXPERT_POLICIES["cartpole"]
DEMO_FILES = {
    "cartpole": DATA_DIR / "cartpole_expert_demos.npz",
    "cartpole_styled": DATA_DIR / "cartpole_styled_demos.npz",
    **{name: DATA_DIR / f"{name}_expert_demos.npz" for name in EXPERT_ENVS if name != "cartpole"},
}
DEMO_EPISODES = 20


class StyledCartPoleController:
    """A hand-written CartPole expert with a style: it keeps the cart near x = ``target``.

    A linear state-feedback law on z = (x - target, x_dot, theta, theta_dot):
    push right (action 1) when k . z > 0, left (action 0) otherwise, with k = ``gains``.
    Pushing right when the cart is right of the target sounds wrong, but it tips the pole
    left, and the theta terms then drive the cart back left: the usual non-minimum-phase
    behaviour of an inverted pendulum.
    """

    def __init__(self, target: float = 1.0, gains: tuple[float, float, float, float] = (2.0, 3.0, 20.0, 4.0)) -> None:
        self.target = check_number("target", target)
        self.gains = as_float_array("gains", gains).astype(np.float32)
        if self.gains.shape != (4,) or not np.isfinite(self.gains).all():
            raise InputError(f"gains must be 4 finite numbers, one per CartPole observation, got {shown(gains)}")

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Actions [N] (int64) for observations [N, 4]."""
        z = obs - np.array([self.target, 0.0, 0.0, 0.0], dtype=np.float32)
        return (z @ self.gains > 0).astype(np.int64)


class MountainCarEnergyController:
    """A hand-written MountainCar-v0 expert: push in the direction the car is moving.

    With velocity v (observation [1], raw or rescaled: only its sign counts), action 2 (push
    right) when v >= 0, else 0 (push left).
    The engine alone cannot climb the hill, but pushing along the motion adds energy on every
    swing, so each swing climbs higher until the car reaches the flag at x = 0.5: about 120 steps
    (return about -120; the task's limit is 200 steps, where a random policy ends, at -200).
    """

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Actions [N] (int64) for observations [N, 2] (position, velocity; MountainCar-v0's or rescaled)."""
        return np.where(obs[:, 1] >= 0, 2, 0).astype(np.int64)


class AcrobotSwingController:
    """A hand-written Acrobot-v1 expert: a bang-bang torque on the second joint.

    With the first joint's angular velocity w1 (observation [4]), torque +1 (action 2) when
    w1 <= 0, else -1 (action 0).  Of the four such sign rules on w1 and w2 this one swings the
    tip above the line fastest (measured: about 82 steps on average, return about -82; a random
    policy got there in none of 50 episodes of the 500-step limit).  Found by trying the rules, not
    derived.
    """

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Actions [N] (int64) for observations [N, 6] (cos, sin of both angles; both velocities)."""
        return np.where(obs[:, 4] <= 0, 2, 0).astype(np.int64)


CONTROLLERS: dict[str, Controller] = {
    "mountaincar": MountainCarEnergyController(),
    "acrobot": AcrobotSwingController(),
}
"""The hand-written controllers distilled into the shipped MountainCar and Acrobot experts."""


def load_expert(name: str = "cartpole") -> ActorCritic:
    """A shipped expert policy (one seed), by name: one of :data:`EXPERT_ENVS`.

    ``"cartpole"`` and ``"pendulum"`` were trained with PPO; ``"mountaincar"`` and ``"acrobot"``
    are hand-written controllers distilled into the network (:func:`distil`).
    """
    if not isinstance(name, str) or name not in EXPERT_POLICIES:
        raise InputError(f"no expert named {name!r}: choose one of {sorted(EXPERT_POLICIES)}")
    return load_policy(EXPERT_POLICIES[name])[0]


def load_demonstrations(name: str = "cartpole") -> Demonstrations:
    """Shipped demonstrations (20 greedy episodes each): ``"cartpole"`` (PPO expert),
    ``"cartpole_styled"`` (cart held near x = +1), ``"pendulum"``, ``"mountaincar"`` or ``"acrobot"``."""
    if not isinstance(name, str) or name not in DEMO_FILES:
        raise InputError(f"no demonstrations named {name!r}: choose one of {sorted(DEMO_FILES)}")
    return Demonstrations.load(DEMO_FILES[name])


# Pinned in full (not "the defaults"), so that regenerating reproduces the shipped expert even
# when PPOConfig's defaults change; tests/test_envs_and_display.py checks it against the .json.
EXPERT_CONFIG = PPOConfig(total_steps=100_000, seed=1, eval_every=10_000, eval_episodes=20, clip_coef=0.2)

# The field notes' Pendulum-v1 settings: a short discount (a swing-up pays off within ~20 steps),
# long rollouts, scaled rewards (they run from about -16 to 0 per step).  Of seeds 0-3 trained alone
# for 80 000 steps, seed 2 had the best greedy return over 50 episodes, -153.9 (NOTES.md, 2026-12-01).
PENDULUM_EXPERT_CONFIG = PPOConfig(
    total_steps=80_000, num_envs=8, num_steps=256, learning_rate=1e-3, anneal_lr=True, gamma=0.95, gae_lambda=0.95,
    clip_coef=0.2, update_epochs=10, num_minibatches=32, ent_coef=0.0, vf_coef=0.5, max_grad_norm=0.5, norm_adv=True,
    norm_reward=True, hidden_size=64, eval_every=10_000, eval_episodes=10, seed=2, num_seeds=1,
)

# Distillation: behaviour cloning on DISTIL_EPISODES episodes of the controller, started from
# other states than the shipped demonstrations (which are then recorded from the distilled net).
DISTIL_EPISODES = 100
DISTIL_SEED = 5_000
DISTIL_CONFIG = BCConfig(epochs=100, learning_rate=3e-3, batch_size=256, hidden_size=64, seed=0, num_seeds=1)
CHECK_EPISODES, CHECK_SEED = 50, 7
"""Every shipped expert's ``greedy_return_50_episodes``: 50 greedy episodes seeded from 7."""


def distil(controller: Controller, env_id: str, config: BCConfig = DISTIL_CONFIG) -> ActorCritic:
    """Behaviour-clone ``controller`` into a one-seed ActorCritic for ``env_id``.

    BC minimises E_{(s,a) ~ controller}[-log pi(a|s)] over ``DISTIL_EPISODES`` greedy episodes of
    the controller (seeded from ``DISTIL_SEED``); the clone's most likely action is its action.
    """
    demos = record_demonstrations(controller, env_id, DISTIL_EPISODES, DISTIL_SEED)
    return train_bc(demos, config).policy.seed_policy(0)


def _train_expert(name: str) -> tuple[ActorCritic, dict[str, object]]:
    """Train (PPO) or distil (BC) the expert ``name``; returns it and the metadata its .json records."""
    env_id = EXPERT_ENVS[name]
    if name in CONTROLLERS:
        controller = CONTROLLERS[name]
        info = {"distilled_from": type(controller).__name__, "bc_config": DISTIL_CONFIG.as_dict(),
                "distil_episodes": DISTIL_EPISODES, "distil_seed": DISTIL_SEED,
                "controller_greedy_return_50_episodes": run_episodes(controller, env_id, CHECK_EPISODES,
                                                                     CHECK_SEED).mean_return}
        return distil(controller, env_id), info
    config = {"cartpole": EXPERT_CONFIG, "pendulum": PENDULUM_EXPERT_CONFIG}[name]
    return train_ppo(config, env_id, label=f"{name} expert").policy, {"ppo_config": config.as_dict()}


def regenerate(out_dir: Path = DATA_DIR, names: list[str] | None = None) -> dict[str, float]:
    """Train or distil the experts ``names`` (default: all of :data:`EXPERT_ENVS`), save each with
    its greedy return over 50 episodes, and record its demonstrations (CartPole's styled set with
    CartPole's); returns those returns and the demonstrations' mean returns."""
    names = list(EXPERT_ENVS) if names is None else names
    unknown = sorted(set(names) - set(EXPERT_ENVS))
    if unknown:
        raise InputError(f"no expert named {unknown}: choose from {sorted(EXPERT_ENVS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    figures: dict[str, float] = {}
    for name in names:
        env_id = EXPERT_ENVS[name]
        policy, info = _train_expert(name)
        check = run_episodes(policy, env_id, episodes=CHECK_EPISODES, seed=CHECK_SEED).mean_return
        save_policy(policy, out_dir / EXPERT_POLICIES[name].name, env_id=env_id, greedy_return_50_episodes=check,
                    **info)
        figures[f"{name}_expert_greedy_return"] = check
        demo_sets = [(name, policy)] + ([("cartpole_styled", StyledCartPoleController())] if name == "cartpole" else [])
        for demo_name, expert in demo_sets:
            demos = record_demonstrations(expert, env_id, DEMO_EPISODES, DEMO_SEED)
            demos.save(out_dir / DEMO_FILES[demo_name].name)
            figures[f"{demo_name}_demo_return"] = demos.mean_return
    return figures


def main() -> None:
    """Command line: ``python -m gail_helpers.experts [--out DIR] [--only NAME ...]``."""
    parser = argparse.ArgumentParser(description="Regenerate the shipped experts and their demonstrations.")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="folder to write to (default: the package's data)")
    parser.add_argument("--only", nargs="+", choices=list(EXPERT_ENVS), default=None,
                        help="regenerate only these experts (default: all)")
    args = parser.parse_args()
    figures = regenerate(args.out, args.only)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
