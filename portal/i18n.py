"""Languages: Simplified Chinese (the default, and the msgids) and English.

A page's language is Django's language cookie (set by the switch, ``portal:set-language``),
else the browser's Accept-Language, else Chinese (LocaleMiddleware). A person's own choice is
kept in ``User.language``: set at registration from the page's language, changed by the switch
when signed in, and used for what is sent to them later (e-mail, SMS, inbox texts) through
``for_user``.
"""

from django.conf import settings
from django.utils import translation

CHINESE = "zh-hans"
ENGLISH = "en"
CODES = tuple(code for code, _name in settings.LANGUAGES)


def normalize(code: str | None) -> str:
    """One of ``CODES`` for any language tag: "en", "en-US" → "en"; anything else Chinese."""
    code = (code or "").lower()
    return ENGLISH if code == ENGLISH or code.startswith(ENGLISH + "-") else CHINESE


def active_language() -> str:
    """The language of the current request (or of the surrounding ``override``)."""
    return normalize(translation.get_language())


def keep_users_language(request, response, user):
    """After sign-in on a device that never chose a language: the one the person chose (on
    the account) becomes the page's, kept in the language cookie. A device's own choice stays."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return response
    language = normalize(getattr(user, "language", None))
    if language != active_language():
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


def for_user(user):
    """``with for_user(talent): ...`` renders texts in the language ``user`` chose."""
    return translation.override(normalize(getattr(user, "language", None)))
