"""Models of the subsidies layer (政策直达快享)."""

from subsidies.models.entitlements import (
    Entitlement,
    EntitlementEvent,
    EntitlementNotice,
    EntitlementStatus,
    Instalment,
    InstalmentNotice,
    InstalmentStatus,
    PaidDay,
    SubsidyLevel,
)
from subsidies.models.policies import (
    Policy,
    PolicyInstalment,
    PolicyKind,
    PolicyRule,
    RuleAttribute,
    RuleOperator,
)

__all__ = [
    "Entitlement",
    "EntitlementEvent",
    "EntitlementNotice",
    "EntitlementStatus",
    "Instalment",
    "InstalmentNotice",
    "InstalmentStatus",
    "PaidDay",
    "Policy",
    "PolicyInstalment",
    "PolicyKind",
    "PolicyRule",
    "RuleAttribute",
    "RuleOperator",
    "SubsidyLevel",
]
