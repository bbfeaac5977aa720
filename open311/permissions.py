"""Who may do what to a partner system (portal.permissions.Table): the organization
department registers and revokes; a key already stopped cannot be stopped again (409). The
domain (open311.keys) calls ``require``; pages ask ``allowed``."""

from portal.models import Role
from portal.permissions import Rule, Table, active


def _admin(user, partner) -> bool:
    return active(user) and user.role == Role.ADMIN


PARTNER_RULES = {
    "revoke": Rule(_admin, ("active",), "只有组织部人才办可以停用合作系统的密钥。", "停用密钥"),
}
PARTNERS = Table(
    PARTNER_RULES,
    noun="合作系统",
    state=lambda p: "active" if p.revoked_at is None else "revoked",
    label=lambda p: "使用中" if p.revoked_at is None else "已停用",
)
