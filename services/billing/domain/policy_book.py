"""The policy book of one city or district: the versions it has published (stream ``subsidy-policies-<area>``).

Publishing is how a policy file becomes law for billing, and what the tiered sync carries down to
the nodes below. A published version is never changed: loading the same file again publishes
nothing, and a change is a new version. A new version of a policy that is already published may
not take effect before the day it is published, since that would re-price services already priced.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from shared.aggregate import Decider, Rejected
from services.billing.domain.policies import SubsidyPolicy, check_policy_set


@dataclass(frozen=True)
class PublishPolicies:
    set_by: str
    policies: tuple  # SubsidyPolicy, ... as written in the file
    at: datetime


@dataclass(frozen=True)
class PolicyPublished:
    set_by: str
    policy: SubsidyPolicy


@dataclass(frozen=True)
class PolicyBook:
    set_by: str = ""
    published: tuple = ()  # as written, in the order published

    def in_force(self) -> tuple:
        """The published versions with open-ended ones ended by their successors (for policy_in_force)."""
        return check_policy_set((), published=self.published)


def decide(state: PolicyBook, command) -> list:
    if not isinstance(command, PublishPolicies):
        raise TypeError(f"unknown command {command!r}")
    for i, policy in enumerate(command.policies):
        if policy.set_by != command.set_by:
            raise Rejected(f"this is the policy book of {command.set_by}", field=f"policies[{i}].set_by")
    new = [p for p in command.policies if p not in state.published]
    check_policy_set(command.policies, published=tuple(p for p in state.published if p not in command.policies))
    for policy in new:
        if policy.effective_from < command.at.date() and _has_versions(state, policy):
            raise Rejected(f"{policy.label} would take effect on {policy.effective_from}, before today "
                           f"({command.at.date()}), and re-price services already priced under an earlier version",
                           field=f"policies[{command.policies.index(policy)}].effective_from")
    return [PolicyPublished(command.set_by, policy) for policy in new]


def _has_versions(state: PolicyBook, policy: SubsidyPolicy) -> bool:
    return any(p.policy_id == policy.policy_id for p in state.published)


def evolve(state: PolicyBook, event) -> PolicyBook:
    if isinstance(event, PolicyPublished):
        return replace(state, set_by=event.set_by, published=state.published + (event.policy,))
    return state


policy_book = Decider(category="subsidy-policies", initial=PolicyBook, decide=decide, evolve=evolve)
