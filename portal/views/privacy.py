"""The privacy texts: public pages, linked from every consent checkbox and the footer."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.privacy import PRIVACY_RULES, SENSITIVE_NOTICE, TEXTS, privacy_context


def _page(request, document: str):
    text = TEXTS[document]
    context = {
        **privacy_context(),
        "text": text,
        "code_minutes": settings.VERIFICATION_CODE_MINUTES,
    }
    return render(request, text.template, context)


@require_GET
def privacy_rules(request):
    """《个人信息处理规则》: what is collected, why, who sees it, how long, the person's rights."""
    return _page(request, PRIVACY_RULES)


@require_GET
def privacy_sensitive(request):
    """《敏感个人信息处理告知》: medical and minors' details (PIPL art. 28–31)."""
    return _page(request, SENSITIVE_NOTICE)
