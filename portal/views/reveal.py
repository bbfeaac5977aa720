"""The "查看完整信息" control that handling pages share (the request's handling page, the
card application's review page): a small form asking the purpose, and the full values shown
once in a marked box. Who may see the control is the owning layer's ``can_reveal``; the
reveal itself is a domain function passed in, so pages and API run the same code."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.cache import add_never_cache_headers

from portal.audit import client_ip
from portal.errors import NotAllowed, RateLimited
from portal.form_messages import PlainForm
from portal.models.access import FIELD_LABELS
from portal.reveal import PURPOSE_MAX_LENGTH


class RevealForm(PlainForm):
    # Not required here: the domain (portal.reveal.clean_purpose) answers with its own message.
    purpose = forms.CharField(
        label="查看目的",
        required=False,
        max_length=PURPOSE_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "placeholder": "如：电话联系申请人核实住房情况"}
        ),
        help_text="至少 4 个字。查看行为将记录在案，申请人可以看到查看人、时间和目的。",
    )


def reveal_panel(*, allowed: bool, url: str, form=None, values=None) -> dict | None:
    """Context for templates/portal/includes/reveal_panel.html; None hides the control."""
    if not allowed:
        return None
    rows = []
    if values is not None:
        # The fields this reveal shows (a person's details, or a bank account), in order.
        rows = [
            {"label": label, "value": values[code]}
            for code, label in FIELD_LABELS.items()
            if code in values
        ]
    return {
        "url": url,
        "form": form or RevealForm(prefix="reveal"),
        "rows": rows,
        "open": bool(form is not None and form.errors),
    }


def reveal_post(request, act, *, url: str) -> dict:
    """Run a POSTed reveal: ``act(purpose=…, ip=…)`` is the owning layer's domain function.
    A short purpose or the daily limit comes back as the form's error (the page answers 200
    with the message); a refusal of a visible object is a 403. The values go into the panel
    for this one response and nowhere else."""
    form = RevealForm(request.POST, prefix="reveal")
    values = None
    if form.is_valid():
        try:
            values = act(purpose=form.cleaned_data["purpose"], ip=client_ip(request))
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("purpose", message)
        except RateLimited as exc:
            form.add_error(None, exc.detail)
        except NotAllowed as exc:
            raise PermissionDenied(exc.detail) from exc
    if values is not None:
        form = None  # a fresh form under the revealed box
    return reveal_panel(allowed=True, url=url, form=form, values=values)


def never_cached(response):
    """A page that may carry revealed values: no browser or proxy cache may keep it."""
    add_never_cache_headers(response)
    return response
