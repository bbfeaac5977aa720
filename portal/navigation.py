"""Navigation by role.

Each app registers its own entries from ``AppConfig.ready()``, so the portal layer shows the
pages of higher layers without importing them. ``context`` is a template context processor.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.banners import banners
from portal.models import Role
from portal.todo import todo_for

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset
    order: int


_items: dict[str, NavItem] = {}


def register(label: str, url_name: str, roles, order: int = 100) -> None:
    """Show ``url_name`` as ``label`` to users of ``roles`` (use ANONYMOUS for visitors)."""
    _items[url_name] = NavItem(label, url_name, frozenset(roles), order)


# role → function(user) → URL of the page where that role's work is (after sign-in).
_homes: dict[str, object] = {}


def register_home(role: str, resolve) -> None:
    """After sign-in, send users of ``role`` to ``resolve(user)`` (a URL)."""
    _homes[role] = resolve


def home_url(user) -> str:
    """Where ``user`` lands after signing in: their role's work, or their account page."""
    resolve = _homes.get(user.role)
    return resolve(user) if resolve else reverse("portal:account")


def items_for(user) -> list[NavItem]:
    role = user.role if user.is_authenticated else ANONYMOUS
    return sorted((i for i in _items.values() if role in i.roles), key=lambda i: i.order)


def register_portal_items() -> None:
    everyone = [*Role.values, ANONYMOUS]
    register(_("首页"), "portal:home", everyone, order=0)
    register(_("审计日志"), "portal:audit", [Role.AUDITOR], order=10)
    register(_("管理后台"), "admin:index", [Role.ADMIN], order=90)
    register(_("我的账户"), "portal:account", Role.values, order=95)
    register(_("账户管理"), "portal:staff-accounts", [Role.ADMIN], order=85)
    register_home(Role.AUDITOR, lambda user: reverse("portal:audit"))


def context(request):
    """Template context: ``nav_items`` for the user's role, ``unread_notifications``, the
    site-wide ``banners`` (portal.banners) and the header's ``todo`` (portal.todo)."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    current = request.path
    nav = []
    if user.is_authenticated:
        from portal.gate import gate_reason

        verified = user.is_verified() if hasattr(user, "is_verified") else None
        if gate_reason(user, session_verified=verified):
            # Held at the gate (initial password, second factor): every link would bounce.
            return {"nav_items": [], "unread_notifications": 0, "banners": [], "todo": None}
    for item in items_for(user):
        url = reverse(item.url_name)
        active = current == url if url == "/" else current.startswith(url)
        nav.append({"label": item.label, "url": url, "active": active})
    unread = 0
    if user.is_authenticated:
        from portal.notify import unread_count

        unread = unread_count(user)
    return {
        "nav_items": nav,
        "unread_notifications": unread,
        "banners": banners(request),
        # The header's 待办 count (portal.todo; services registers the desk's).
        "todo": todo_for(user),
    }
