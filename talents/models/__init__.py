"""Models of the talents layer (人才信息库 and 一对一联系服务)."""

from talents.models.liaison import (
    Concern,
    ConcernStatus,
    Liaison,
    LiaisonEvent,
    LiaisonLevel,
    LiaisonNotice,
    Visit,
    VisitMode,
)
from talents.models.profiles import (
    Dimension,
    IndustryChain,
    OutputKind,
    ResearchOutput,
    Standing,
    TalentCount,
    TalentProfile,
)

__all__ = [
    "Concern",
    "ConcernStatus",
    "Dimension",
    "IndustryChain",
    "Liaison",
    "LiaisonEvent",
    "LiaisonLevel",
    "LiaisonNotice",
    "OutputKind",
    "ResearchOutput",
    "Standing",
    "TalentCount",
    "TalentProfile",
    "Visit",
    "VisitMode",
]
