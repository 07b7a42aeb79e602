"""gail_helpers: the small, readable package behind the "From RL to GAIL" course.

A reading order, beside the notebooks: ``config`` (every hyperparameter, with its range) ->
``networks`` and ``seed_axis`` (S seeds in one batched computation) -> ``policies`` ->
``rollout`` (experience and GAE) -> ``ppo`` -> ``training`` (the loop) -> ``bc`` and ``dagger``
-> ``tabular`` (value iteration, MaxEnt IRL) -> ``discriminator``, ``rewards``, ``gail`` ->
``airl`` (a reward that transfers).
The rest (``evaluation``, ``plotting``, ``widgets``, ``checks``, ``bench``...) serves them.

Importing it sets torch to one CPU thread.  Every network in the course is tiny, and for
tiny networks extra threads only add synchronisation cost: on a busy 2-core machine five
greedy CartPole episodes took 16 s with torch's default threads and 0.2 s with one.
"""

import torch

torch.set_num_threads(1)
