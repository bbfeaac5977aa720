"""The shape of every "who may do what" table (one module per object type owns its table:
services.permissions for requests, cards.permissions for cards and applications,
portal.staff for accounts): verb → Rule(who, from-states). Domain functions call
``require`` (NotAllowed 403 for the person, InvalidTransition 409 for the state); pages,
templates and the API ask ``allowed`` / ``offered``."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext

from portal.errors import InvalidTransition, NotAllowed


def active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


@dataclass(frozen=True)
class Rule:
    # who(user, obj) → bool
    who: Callable
    # The states the verb may start from (None: any).
    states: tuple | None
    # 403: who may (texts are lazy, ``gettext_lazy``: rendered when raised).
    denied: str
    # 409: "<noun>当前为“X”状态，不能<verb>。", or ``state_message`` ({status}: the state's label);
    # ``verb`` is marked with the context "cannot" (its English reads "… cannot <verb>").
    verb: str = ""
    state_message: str = ""


class Table:
    def __init__(
        self,
        rules: dict[str, Rule],
        *,
        noun: str,
        state: Callable = lambda obj: obj.status,
        label: Callable = lambda obj: obj.get_status_display(),
    ):
        self.rules, self.noun, self.state, self.label = rules, noun, state, label

    def _state_ok(self, rule: Rule, obj) -> bool:
        return rule.states is None or self.state(obj) in rule.states

    def allowed(self, user, verb: str, obj) -> bool:
        """Whether ``user`` may ``verb`` ``obj`` now (who and state)."""
        if obj is None:
            return False
        rule = self.rules[verb]
        return bool(rule.who(user, obj)) and self._state_ok(rule, obj)

    def require_who(self, user, verb: str, obj) -> None:
        """NotAllowed (403) for the wrong person (before the row is locked and its state
        read)."""
        rule = self.rules[verb]
        if not rule.who(user, obj):
            raise NotAllowed(str(rule.denied))

    def require(self, user, verb: str, obj) -> None:
        """NotAllowed (403) for the wrong person, InvalidTransition (409) for the state."""
        rule = self.rules[verb]
        self.require_who(user, verb, obj)
        if not self._state_ok(rule, obj):
            # Texts of the tables are lazy: rendered here, in the request's language.
            status = str(self.label(obj))
            message = (
                str(rule.state_message).format(status=status)
                if rule.state_message
                else gettext("%(noun)s当前为“%(status)s”状态，不能%(verb)s。")
                % {"noun": self.noun, "status": status, "verb": rule.verb}
            )
            raise InvalidTransition(message, status=self.state(obj))

    def offered(self, user, obj, verbs=None) -> dict[str, bool]:
        """``{verb: allowed}`` for pages and templates (every verb unless named)."""
        return {verb: self.allowed(user, verb, obj) for verb in (verbs or self.rules)}
