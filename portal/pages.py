"""Page helpers every app uses: gating a page by role, a domain ValidationError as field
messages, and how a person appears on a timeline."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext

from portal.localized import localized
from portal.models import Role


def role_page(*roles):
    """Gate a page by role: visitors go to the login page; a signed-in user of another role
    gets a 404, because to them the page does not exist (the portal's convention, as on the
    audit page)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.user.role not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def error_dict(exc: ValidationError) -> dict[str, list[str]]:
    """A domain ValidationError as ``{field: [messages]}`` (``__all__`` when it names none)."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}


def actor_label(user) -> str:
    """How a person appears on a timeline: the talent as 申请人, the organization department
    as an office, staff with their office; a step nobody took (a job) as 系统."""
    if user is None:
        return gettext("系统")
    if user.role == Role.TALENT:
        return gettext("申请人")
    if user.role == Role.ADMIN:
        return gettext("组织部人才办")
    if not user.department_id:
        return user.display_name
    office = gettext("%(department)s%(role)s") % {
        "department": localized(user.department, "name"),
        "role": user.get_role_display(),
    }
    return gettext("%(name)s（%(office)s）") % {"name": user.display_name, "office": office}
