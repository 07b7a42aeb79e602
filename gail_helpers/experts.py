"""The experts shipped with the course, and the command that regenerates them.

Files in ``gail_helpers/data/`` (small, read offline):

* ``cartpole_expert.pt`` / ``.json`` - a PPO policy for CartPole-v1 (a plain state_dict,
  loaded with ``weights_only=True``) and its architecture and training figures;
* ``cartpole_expert_demos.npz`` - 20 greedy episodes of that expert;
* ``cartpole_styled_demos.npz`` - 20 episodes of :class:`StyledCartPoleController`, which
  balances while holding the cart near x = +1 (the *how*, not only the *how well*).

Regenerate all of them (about a minute on 2 CPU cores)::

    python -m gail_helpers.experts
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from gail_helpers.checks import as_float_array, check_number, shown
from gail_helpers.config import PPOConfig
from gail_helpers.demonstrations import Demonstrations, record_demonstrations
from gail_helpers.errors import InputError
from gail_helpers.evaluation import run_episodes
from gail_helpers.policies import ActorCritic, load_policy, save_policy
from gail_helpers.seeding import DEMO_SEED
from gail_helpers.training import train_ppo

DATA_DIR = Path(__file__).parent / "data"
EXPERT_POLICY = DATA_DIR / "cartpole_expert.pt"
DEMO_FILES = {
    "cartpole": DATA_DIR / "cartpole_expert_demos.npz",
    "cartpole_styled": DATA_DIR / "cartpole_styled_demos.npz",
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


def load_expert() -> ActorCritic:
    """The shipped PPO expert for CartPole-v1."""
    return load_policy(EXPERT_POLICY)[0]


def load_demonstrations(name: str = "cartpole") -> Demonstrations:
    """Shipped demonstrations: ``"cartpole"`` (PPO expert) or ``"cartpole_styled"`` (x = +1)."""
    if not isinstance(name, str) or name not in DEMO_FILES:
        raise InputError(f"no demonstrations named {name!r}: choose one of {sorted(DEMO_FILES)}")
    return Demonstrations.load(DEMO_FILES[name])


# Pinned in full (not "the defaults"), so that regenerating reproduces the shipped expert even
# when PPOConfig's defaults change; tests/test_envs_and_display.py checks it against the .json.
EXPERT_CONFIG = PPOConfig(total_steps=100_000, seed=1, eval_every=10_000, eval_episodes=20, clip_coef=0.2)


def regenerate(out_dir: Path = DATA_DIR) -> dict[str, float]:
    """Train the PPO expert, record both demonstration sets; returns their mean returns."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = train_ppo(EXPERT_CONFIG, "CartPole-v1", label="expert")
    check = run_episodes(result.policy, "CartPole-v1", episodes=50, seed=7).mean_return
    save_policy(
        result.policy, out_dir / EXPERT_POLICY.name, env_id="CartPole-v1",
        ppo_config=EXPERT_CONFIG.as_dict(), greedy_return_50_episodes=check,
    )
    figures = {"expert_greedy_return": check}
    for name, expert in (("cartpole", result.policy), ("cartpole_styled", StyledCartPoleController())):
        demos = record_demonstrations(expert, "CartPole-v1", DEMO_EPISODES, DEMO_SEED)
        demos.save(out_dir / DEMO_FILES[name].name)
        figures[f"{name}_demo_return"] = demos.mean_return
    return figures


def main() -> None:
    """Command line: ``python -m gail_helpers.experts [--out DIR]``."""
    parser = argparse.ArgumentParser(description="Regenerate the shipped CartPole experts and demonstrations.")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="folder to write to (default: the package's data)")
    figures = regenerate(parser.parse_args().out)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
