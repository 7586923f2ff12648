"""The cost model's arithmetic: monthly serving cost of each option, and break-even volumes.

Every cost is a (low, high) pair. The low end takes fast throughput, low prices and a low salary;
the high end the opposite. Self-run options cost a constant amount on each step of replicas, so
a break-even is searched step by step, not solved once.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

from dialogs.cost_assumptions import CostAssumptions

HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
GPUS_PER_OPS_BLOCK = 8
#: Break-even volumes are searched up to this many tokens a month.
SEARCH_LIMIT = 10**13

End = Literal["low", "high"]
ENDS: tuple[End, End] = ("low", "high")

HOSTED = ("small_tier", "frontier_tier")
VENDOR_RUN = (*HOSTED, "private_endpoint")
SELF_RUN = ("own_cloud_small", "own_cloud_large", "on_prem")
OPTION_IDS = (*VENDOR_RUN, *SELF_RUN)


def price_per_token(a: CostAssumptions, tier: str) -> float:
    """USD per token of a hosted tier, input and output blended by the input share."""
    share = a["input_share"]
    per_1m = share * a[f"{tier}_input_usd_per_1m"] + (1 - share) * a[f"{tier}_output_usd_per_1m"]
    return per_1m / 1_000_000


def _pick(a: CostAssumptions, name: str, end: End, *, cheap_is_high: bool = False) -> float:
    """The value of a range for one end of a cost: throughput is cheap when it is high."""
    low, high = a.span(name)
    cheap, dear = (high, low) if cheap_is_high else (low, high)
    return cheap if end == "low" else dear


@dataclass(frozen=True, kw_only=True)
class Deployment:
    """How a self-run option is built at one end of the range."""

    gpus_per_replica: int
    tokens_per_replica_month: float  # capacity at the target utilisation
    min_replicas: int
    monthly_per_gpu: float  # rental (cloud), or 0 on-prem
    server_month: float  # amortised price plus power and space, on-prem; else 0
    gpus_per_server: int
    ops_per_block: float  # USD a month per started block of 8 GPUs

    def replicas(self, tokens: int) -> int:
        return max(self.min_replicas, math.ceil(tokens / self.tokens_per_replica_month))

    def gpus(self, tokens: int) -> int:
        return self.replicas(tokens) * self.gpus_per_replica

    def cost_of_replicas(self, replicas: int) -> float:
        gpus = replicas * self.gpus_per_replica
        servers = math.ceil(gpus / self.gpus_per_server)
        blocks = math.ceil(gpus / GPUS_PER_OPS_BLOCK)
        return (
            gpus * self.monthly_per_gpu + servers * self.server_month + blocks * self.ops_per_block
        )

    def cost(self, tokens: int) -> float:
        return self.cost_of_replicas(self.replicas(tokens))


def deployment(a: CostAssumptions, option_id: str, end: End, *, redundancy: bool) -> Deployment:
    """A self-run option at one end. On-prem runs the 70B-class model, on bought servers."""
    large = option_id in ("own_cloud_large", "on_prem")
    if large:
        per_replica = _pick(a, "large_model_tokens_per_second_per_replica", end, cheap_is_high=True)
        gpus_per_replica = int(a["large_model_gpus_per_replica"])
    else:
        per_replica = _pick(a, "small_model_tokens_per_second_per_gpu", end, cheap_is_high=True)
        gpus_per_replica = 1
    salary = _pick(a, "engineer_usd_per_year", end)
    on_prem = option_id == "on_prem"
    server_month = (
        _pick(a, "server_usd", end) / a["server_amortisation_months"]
        + _pick(a, "power_space_usd_per_server_month", end)
        if on_prem
        else 0.0
    )
    return Deployment(
        gpus_per_replica=gpus_per_replica,
        tokens_per_replica_month=per_replica * a["utilisation"] * SECONDS_PER_MONTH,
        min_replicas=2 if redundancy else 1,
        monthly_per_gpu=0.0 if on_prem else HOURS_PER_MONTH * _pick(a, "gpu_hour_usd", end),
        server_month=server_month,
        gpus_per_server=int(a["gpus_per_server"]),
        ops_per_block=a["ops_engineers_per_8_gpus"] * salary / 12,
    )


def serving_cost(
    a: CostAssumptions, option_id: str, tokens: int, end: End, *, redundancy: bool
) -> float:
    """USD a month to serve `tokens` tokens with one option, at one end of the range."""
    if option_id in HOSTED:
        return tokens * price_per_token(a, option_id)
    if option_id == "private_endpoint":
        premium = _pick(a, "endpoint_premium", end)
        minimum = _pick(a, "endpoint_minimum_usd_per_month", end)
        return max(tokens * price_per_token(a, "frontier_tier") * (1 + premium), minimum)
    if option_id in SELF_RUN:
        return deployment(a, option_id, end, redundancy=redundancy).cost(tokens)
    raise KeyError(option_id)


def break_even(
    a: CostAssumptions, option_id: str, tier: str, end: End, *, redundancy: bool
) -> int | None:
    """The volume from which a self-run option stays cheaper than a hosted tier at every higher
    volume up to SEARCH_LIMIT, or None when it does not.

    On the step of N replicas (volumes above (N-1) x capacity up to N x capacity) the self-run
    cost K is constant and the tier costs price x tokens, so the tier is no dearer up to K / price.
    The break-even is the first whole token above the last such volume on any step.
    """
    price = price_per_token(a, tier)
    if price <= 0:
        return None
    d = deployment(a, option_id, end, redundancy=redundancy)
    last = _last_loss(d, price)
    if last >= SEARCH_LIMIT:
        return None
    # K / price in floating point can land a token either side of the exact tie: settle it
    # against the costs themselves (strictly cheaper from the volume returned).
    volume = math.floor(last) + 1
    while d.cost(volume) >= volume * price:
        volume += 1
    while volume > 1 and d.cost(volume - 1) < (volume - 1) * price:
        volume -= 1
    return volume


@functools.lru_cache(maxsize=256)
def _last_loss(d: Deployment, price: float) -> float:
    """The highest volume at which the hosted price is no dearer than the deployment (0.0 when
    there is none). Cached: it depends on the prices only, not on the team's volume."""
    capacity = d.tokens_per_replica_month
    last_loss = 0.0
    replicas = d.min_replicas
    bottom = 0.0  # volumes above this use `replicas` replicas
    while bottom < SEARCH_LIMIT:
        top = min(replicas * capacity, float(SEARCH_LIMIT))
        even = d.cost_of_replicas(replicas) / price
        if even > bottom:
            last_loss = max(last_loss, min(even, top))
        bottom, replicas = top, replicas + 1
    return last_loss
