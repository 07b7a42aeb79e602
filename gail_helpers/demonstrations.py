"""Expert demonstrations: whole episodes of (observation, action) pairs, saved as ``.npz``.

The file holds plain arrays only and is read with ``np.load(allow_pickle=False)``:
``obs`` [N, obs_dim] float32, ``actions`` [N] int64 (discrete) or [N, act_dim] float32,
``episode_lengths`` [E], ``episode_returns`` [E], ``env_id`` (a string) and ``format_version``.
Version 2 adds how each episode ended, which AIRL's f(s, a, s') needs: ``final_obs`` [E, obs_dim]
float32 (the state after the episode's last action) and ``terminated`` [E] bool (ended by the task,
not by the time limit).  Version 1 files still load, without them.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gail_helpers.checks import check_bool, check_int, shown
from gail_helpers.envs import env_signature
from gail_helpers.errors import DataFileError, DemonstrationError
from gail_helpers.evaluation import Controller, run_episodes
from gail_helpers.files import as_path, file_to_read, file_to_write, write_atomically
from gail_helpers.policies import ActorCritic, describe_actions

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
LOAD_HINT = "read a file with Demonstrations.load(path), or the shipped ones with experts.load_demonstrations()"
_KEYS = ("obs", "actions", "episode_lengths", "episode_returns", "env_id", "format_version")
_ENDINGS = ("final_obs", "terminated")  # version 2


@dataclass(frozen=True)
class Demonstrations:
    """Episodes of an expert on ``env_id``, stored back to back; validated on construction.

    ``final_obs`` and ``terminated`` (one row per episode) say how each episode ended; they are
    optional (only AIRL needs them) but come together.
    """

    obs: np.ndarray
    actions: np.ndarray
    episode_lengths: np.ndarray
    episode_returns: np.ndarray
    env_id: str
    final_obs: np.ndarray | None = None
    terminated: np.ndarray | None = None

    def __post_init__(self) -> None:
        dtypes = {"obs": "float32", "actions": "int64 or float32", "episode_lengths": "int64",
                  "episode_returns": "float32"}
        for name, dtype in dtypes.items():
            if not isinstance(getattr(self, name), np.ndarray):
                raise DemonstrationError(f"{name} must be a numpy array ({dtype}), got {shown(getattr(self, name))}: "
                                         f"convert it with np.asarray")
        if not isinstance(self.env_id, str):
            raise DemonstrationError(f"env_id must be the name of a gymnasium environment (a str), got "
                                     f"{shown(self.env_id)}")
        obs, actions, lengths = self.obs, self.actions, self.episode_lengths
        if lengths.ndim != 1:
            raise DemonstrationError(f"episode_lengths must be a 1-D array, one length per episode, got shape "
                                     f"{lengths.shape}")
        if len(lengths) == 0 or obs.size == 0:
            raise DemonstrationError("demonstrations are empty: at least one episode of one step is needed")
        if obs.ndim != 2 or obs.dtype != np.float32:
            raise DemonstrationError(f"obs must be a float32 array [pairs, obs_dim], got {obs.dtype} {obs.shape}")
        if actions.dtype == np.int64:
            if actions.shape != (len(obs),):
                raise DemonstrationError(f"discrete actions must have shape ({len(obs)},), got {actions.shape}")
        elif actions.dtype == np.float32:
            if actions.ndim != 2 or len(actions) != len(obs):
                raise DemonstrationError(
                    f"continuous actions must have shape ({len(obs)}, act_dim), got {actions.shape}"
                )
        else:
            raise DemonstrationError(f"actions must be int64 (discrete) or float32 (continuous), got {actions.dtype}")
        if lengths.dtype.kind not in "iu":
            raise DemonstrationError(f"episode_lengths must be whole numbers (an integer array), got {lengths.dtype}")
        if lengths.ndim != 1 or (lengths < 1).any() or int(lengths.sum()) != len(obs):
            raise DemonstrationError(
                f"episode_lengths must be positive and sum to the {len(obs)} pairs, got sum {int(lengths.sum())}"
            )
        if self.episode_returns.shape != lengths.shape:
            raise DemonstrationError(f"episode_returns needs one value per episode ({len(lengths)})")
        if self.episode_returns.dtype.kind not in "iuf":
            raise DemonstrationError(f"episode_returns must be numbers, got dtype {self.episode_returns.dtype}")
        for name in ("obs", "actions", "episode_returns"):
            values = getattr(self, name)
            if values.dtype.kind == "f" and not np.isfinite(values).all():
                raise DemonstrationError(f"{name} contains NaN or infinite values: demonstrations must be finite")
        self._check_endings()

    def _check_endings(self) -> None:
        """``final_obs`` [E, obs_dim] float32 (finite) and ``terminated`` [E] bool, both or neither."""
        final_obs, terminated, episodes = self.final_obs, self.terminated, len(self.episode_lengths)
        if final_obs is None and terminated is None:
            return
        if final_obs is None or terminated is None:
            raise DemonstrationError("final_obs and terminated come together (how each episode ended): pass both "
                                     "or neither")
        if not isinstance(final_obs, np.ndarray) or final_obs.dtype != np.float32 \
                or final_obs.shape != (episodes, self.obs.shape[1]) or not np.isfinite(final_obs).all():
            raise DemonstrationError(f"final_obs must be a finite float32 array [episodes, obs_dim] = "
                                     f"({episodes}, {self.obs.shape[1]}), got {shown(final_obs)}")
        if not isinstance(terminated, np.ndarray) or terminated.dtype != np.bool_ or terminated.shape != (episodes,):
            raise DemonstrationError(f"terminated must be a bool array with one flag per episode ({episodes},), "
                                     f"got {shown(terminated)}")

    @property
    def n_episodes(self) -> int:
        """Number of episodes."""
        return len(self.episode_lengths)

    @property
    def mean_return(self) -> float:
        """The expert's average episode return."""
        return float(self.episode_returns.mean())

    def take(self, n_episodes: int) -> Demonstrations:
        """The first ``n_episodes`` episodes (for 'how many demonstrations are enough?')."""
        n_episodes = check_int("n_episodes", n_episodes, error=DemonstrationError)
        if not 1 <= n_episodes <= self.n_episodes:
            raise DemonstrationError(f"n_episodes = {n_episodes}: allowed 1..{self.n_episodes}")
        end = int(self.episode_lengths[:n_episodes].sum())
        endings = {} if self.final_obs is None else {
            "final_obs": self.final_obs[:n_episodes], "terminated": self.terminated[:n_episodes]}
        return Demonstrations(
            self.obs[:end], self.actions[:end], self.episode_lengths[:n_episodes],
            self.episode_returns[:n_episodes], self.env_id, **endings,
        )

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(obs, actions) as torch tensors, for the discriminator and behaviour cloning."""
        return torch.from_numpy(self.obs), torch.from_numpy(self.actions)

    def transitions(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(obs, actions, next_obs, terminated) per pair, as tensors: the transitions AIRL's D reads.

        Within an episode s' of step t is the observation of step t + 1; after an episode's last
        step it is the episode's ``final_obs``, and only that step can be ``terminated``.
        """
        if self.final_obs is None:
            raise DemonstrationError("these demonstrations do not say how their episodes ended (no final_obs: "
                                     "a format-1 file?), which AIRL needs: record them again with "
                                     "record_demonstrations(...)")
        last = np.cumsum(self.episode_lengths) - 1  # index of each episode's last pair
        next_obs = np.roll(self.obs, -1, axis=0)
        next_obs[last] = self.final_obs
        terminated = np.zeros(len(self.obs), dtype=bool)
        terminated[last] = self.terminated
        obs, actions = self.tensors()
        return obs, actions, torch.from_numpy(next_obs), torch.from_numpy(terminated)

    def check_env(self, env_id: str, same_env_id: bool = True) -> None:
        """Raise :class:`DemonstrationError` unless these pairs fit ``env_id``'s spaces.

        ``same_env_id=False`` accepts another environment with the same spaces (e.g. the
        fixed-horizon CartPole control, fed demonstrations recorded on CartPole-v1).
        """
        obs_dim, spec = env_signature(env_id)
        same_env_id = check_bool("same_env_id", same_env_id)
        problems = []
        if same_env_id and env_id != self.env_id:
            problems.append(f"they were recorded on {self.env_id!r}, not {env_id!r}")
        if self.obs.shape[1] != obs_dim:
            problems.append(f"observations have {self.obs.shape[1]} values, {env_id} gives {obs_dim}")
        if spec.discrete:
            if self.actions.dtype != np.int64:
                problems.append(f"{env_id} has discrete actions, the demonstrations' are {self.actions.dtype} vectors")
            elif self.actions.min() < 0 or self.actions.max() >= spec.n:
                low, high = self.actions.min(), self.actions.max()
                problems.append(f"actions range {low}..{high}, {env_id} allows 0..{spec.n - 1}")
        elif self.actions.ndim != 2 or self.actions.shape[1] != spec.n:
            kind = "discrete" if self.actions.dtype == np.int64 else "continuous"
            problems.append(f"{env_id} has {spec.n}-D continuous actions, the demonstrations have {kind} "
                            f"{self.actions.dtype} actions of shape {self.actions.shape}")
        elif (self.actions < np.asarray(spec.low)).any() or (self.actions > np.asarray(spec.high)).any():
            problems.append(f"actions range {self.actions.min(0).tolist()}..{self.actions.max(0).tolist()}, outside "
                            f"{env_id}'s action box {describe_actions(spec)}")
        if problems:
            raise DemonstrationError("demonstrations do not match the environment: " + "; ".join(problems))

    def save(self, path: str | Path) -> None:
        """Write a compressed ``.npz`` of plain arrays to ``path`` (named ``*.npz``), whole or not at all."""
        path = file_to_write("path", path, ".npz", "Demonstrations.save")
        arrays = {
            "obs": self.obs, "actions": self.actions, "episode_lengths": self.episode_lengths,
            "episode_returns": self.episode_returns, "env_id": np.array(self.env_id),
            "format_version": np.array(FORMAT_VERSION if self.final_obs is not None else 1),
        }
        if self.final_obs is not None:
            arrays.update(final_obs=self.final_obs, terminated=self.terminated)
        write_atomically(path, lambda f: np.savez_compressed(f, **arrays))

    @classmethod
    def load(cls, path: str | Path) -> Demonstrations:
        """Read a file written by :meth:`save` (``allow_pickle=False``: arrays only, no code)."""
        path = file_to_read(as_path("path", path), "demonstrations file")
        if not zipfile.is_zipfile(path):
            raise DataFileError(f"{path} is not a .npz (zip) archive: demonstrations are saved by Demonstrations.save")
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except ValueError as exc:
            if str(exc).startswith("Object arrays cannot be loaded"):  # numpy's refusal with allow_pickle=False
                raise DataFileError(
                    f"{path} holds pickled Python objects, which are refused: only plain arrays load"
                ) from exc
            raise DataFileError(f"{path} is a damaged .npz archive: an array's header is unreadable ({exc})") from exc
        except Exception as exc:  # zlib.error, BadZipFile, EOFError, a bad CRC...: with allow_pickle=False no code ran
            raise DataFileError(f"{path} is a damaged .npz archive: {exc!r}") from exc
        missing = [k for k in _KEYS if k not in arrays]
        if missing:
            raise DataFileError(f"{path} is not a demonstrations file: it lacks {missing}")
        version, env_id = arrays["format_version"], arrays["env_id"]
        if version.shape != () or version.dtype.kind not in "iu" or version.item() not in READABLE_VERSIONS:
            whole = version.shape == () and version.dtype.kind in "iu"
            found = version.item() if whole else f"{version!r}, not a whole number"
            raise DataFileError(f"{path} has format version {found}, this package reads {list(READABLE_VERSIONS)}")
        endings = {k: arrays[k] for k in _ENDINGS if k in arrays} if version.item() >= 2 else {}
        if version.item() >= 2 and len(endings) != len(_ENDINGS):
            missing = [k for k in _ENDINGS if k not in arrays]
            raise DataFileError(f"{path} is a format-2 demonstrations file but lacks {missing}")
        if env_id.shape != () or env_id.dtype.kind != "U":
            raise DataFileError(f"{path} has env_id {env_id!r}: expected one environment name (a str)")
        return cls(
            obs=arrays["obs"], actions=arrays["actions"], episode_lengths=arrays["episode_lengths"],
            episode_returns=arrays["episode_returns"], env_id=str(env_id), **endings,
        )


def record_demonstrations(
    expert: ActorCritic | Controller, env_id: str, episodes: int, seed: int
) -> Demonstrations:
    """Run ``expert`` greedily for ``episodes`` episodes; keep every (observation, action) pair and how
    each episode ended."""
    batch = run_episodes(expert, env_id, episodes, seed)
    actions = np.concatenate(batch.actions)
    actions = actions.astype(np.int64) if actions.dtype.kind in "iu" else actions.astype(np.float32)
    return Demonstrations(
        obs=np.concatenate(batch.observations).astype(np.float32),
        actions=actions,
        episode_lengths=batch.lengths.astype(np.int64),
        episode_returns=batch.returns.astype(np.float32),
        env_id=env_id,
        final_obs=batch.final_observations.astype(np.float32),
        terminated=batch.terminated.astype(bool),
    )
