"""Rewards computed from the discriminator's logit l(s, a), where D(s, a) = sigmoid(l).

All three forms are written in terms of the logit so they stay finite when D saturates at
0 or 1 (log(1 - D) would be log(0) = -inf there).  With softplus(x) = log(1 + e^x):

    -log(1 - D) = -log(sigmoid(-l)) =  softplus(l)      always > 0   (the course's GAIL reward)
     log D      =  log(sigmoid(l))  = -softplus(-l)     always < 0
     log D - log(1 - D)             =  l                any sign     (the logit, as in AIRL)
"""

from __future__ import annotations

import torch
from torch.nn.functional import softplus

from gail_helpers.config import REWARD_FORMS
from gail_helpers.errors import ConfigError


def reward_from_logits(logits: torch.Tensor, form: str = "-log(1-D)") -> torch.Tensor:
    """r(s, a) from discriminator logits, in one of :data:`~gail_helpers.config.REWARD_FORMS`."""
    if form == "-log(1-D)":
        return softplus(logits)  # -log(1 - D) = softplus(l): a bonus for every step survived
    if form == "log D":
        return -softplus(-logits)  # log D = -softplus(-l): a cost for every step, so ending early pays
    if form == "logit":
        return logits  # log D - log(1 - D) = l: neither a bonus nor a cost by itself
    raise ConfigError(f"reward form {form!r} is not allowed: choose one of {list(REWARD_FORMS)}")
