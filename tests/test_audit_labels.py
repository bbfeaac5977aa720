"""Every action the code can write has a Chinese name: the source is scanned for every call
that writes an audit event (``audit_record``) or a timeline step (RequestEvent,
ApplicationEvent, CardEvent), and the action it passes must be a member of the right enum —
followed through the helpers that pass it on (``_audit``, ``_event``, ``_set_status``) and the
local variables that hold it. A string, an f-string or anything else fails, with its place.
"""

import ast
import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

from cards.actions import ApplicationEventAction, CardEventAction
from portal.audit import AuditAction, action_groups, audit_record
from portal.auditlog import known_detail_keys
from services.actions import RequestEventAction

CJK = re.compile(r"[\u4e00-\u9fff]")
AUDIT = "audit_record"
# The timeline models and the enum of their steps.
EVENT_MODELS = {
    "RequestEvent": RequestEventAction,
    "ApplicationEvent": ApplicationEventAction,
    "CardEvent": CardEventAction,
}
# audit_record's own parameters: everything else it is given is a detail key.
RECORD_PARAMETERS = {"action", "actor", "obj", "object_type", "object_id", "request", "ip"}


def project_modules() -> list[tuple[str, Path]]:
    """The project's own apps (whatever apps are added later), without migrations."""
    base = Path(settings.BASE_DIR)
    found = []
    for config in apps.get_app_configs():
        root = Path(config.path)
        if base not in root.parents:
            continue
        for path in sorted(root.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(base).with_suffix("").parts)
            found.append((module, path))
    return found


@dataclass
class Module:
    name: str
    path: str
    tree: ast.Module
    parents: dict = field(default_factory=dict)
    imports: dict = field(default_factory=dict)  # local name → (module, attribute)

    @classmethod
    def parse(cls, name: str, source: str, path: str = "") -> "Module":
        module = cls(name, path or name, ast.parse(source))
        for node in ast.walk(module.tree):
            for child in ast.iter_child_nodes(node):
                module.parents[child] = node
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    module.imports[alias.asname or alias.name] = (node.module, alias.name)
        return module

    def where(self, node) -> str:
        return f"{self.path}:{node.lineno}"

    def function_of(self, node):
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None

    def resolve(self, name: str):
        """The object a local name stands for (a class defined here or imported)."""
        if name in self.imports:
            module, attribute = self.imports[name]
            return getattr(importlib.import_module(module), attribute, None)
        try:
            return getattr(importlib.import_module(self.name), name, None)
        except ImportError:
            return None


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _argument(call: ast.Call, function, parameter: str):
    """The expression ``call`` binds to ``parameter`` of ``function`` (None if it is absent)."""
    for keyword in call.keywords:
        if keyword.arg == parameter:
            return keyword.value
    positional = [a.arg for a in function.args.posonlyargs + function.args.args]
    if parameter in positional:
        index = positional.index(parameter)
        if index < len(call.args):
            return call.args[index]
    return None


class Scanner:
    """Checks that each action expression is an enum member, following it back to its source."""

    def __init__(self, modules: list[Module]):
        self.modules = modules
        self.problems: list[str] = []
        self.checked = 0

    def sinks(self):
        """(module, call, expression, expected enum or base class) for every write."""
        for module in self.modules:
            for node in ast.walk(module.tree):
                if not isinstance(node, ast.Call):
                    continue
                name = _callee(node)
                receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
                if name == AUDIT:
                    yield module, node, self._keyword(node, "action"), AuditAction
                elif (
                    name == "create"
                    and isinstance(receiver, ast.Attribute)
                    and receiver.attr == "objects"
                    and isinstance(receiver.value, ast.Name)
                ):
                    model = receiver.value.id
                    if model in EVENT_MODELS:
                        yield module, node, self._keyword(node, "action"), EVENT_MODELS[model]
                    elif model == "AuditEvent" and module.name != "portal.audit":
                        self.problems.append(
                            f"{module.where(node)}: AuditEvent written around audit_record"
                        )

    @staticmethod
    def _keyword(call, name):
        return next((k.value for k in call.keywords if k.arg == name), None)

    def run(self) -> list[str]:
        for module, call, expression, expected in self.sinks():
            if expression is None:
                self.problems.append(f"{module.where(call)}: no action= given")
                continue
            self.check(module, expression, expected, depth=0)
        return self.problems

    def check(self, module: Module, node, expected, depth: int) -> None:
        where = module.where(node)
        if depth > 8:
            self.problems.append(f"{where}: action passed on too many times to follow")
            return
        if isinstance(node, ast.IfExp):
            self.check(module, node.body, expected, depth)
            self.check(module, node.orelse, expected, depth)
            return
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            enum = module.resolve(node.value.id)
            if not self._is_enum(enum, expected):
                self.problems.append(f"{where}: {node.value.id}.{node.attr} is not a {expected}")
            elif node.attr not in enum.__members__:
                self.problems.append(f"{where}: {enum.__name__} has no member {node.attr}")
            else:
                self.checked += 1
            return
        # Enum(value): the enum itself refuses a value that is not one of its members.
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and self._is_enum(module.resolve(node.func.id), expected)
        ):
            self.checked += 1
            return
        if isinstance(node, ast.Name):
            self._follow(module, node, expected, depth)
            return
        self.problems.append(f"{where}: action {ast.unparse(node)!r} is not an enum member")

    @staticmethod
    def _is_enum(candidate, expected) -> bool:
        return (
            isinstance(candidate, type)
            and issubclass(candidate, models.TextChoices)
            and issubclass(candidate, expected)
        )

    def _follow(self, module: Module, node: ast.Name, expected, depth: int) -> None:
        function = module.function_of(node)
        where = module.where(node)
        if function is None:
            self.problems.append(f"{where}: {node.id} cannot be followed")
            return
        arguments = function.args
        parameters = [a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs]
        if node.id in parameters:
            calls = list(self._calls_of(module, function.name))
            if not calls:
                self.problems.append(f"{where}: nobody calls {function.name}() to check")
            for caller, call in calls:
                value = _argument(call, function, node.id)
                if value is None:
                    self.problems.append(
                        f"{caller.where(call)}: {function.name}() called without {node.id}"
                    )
                else:
                    self.check(caller, value, expected, depth + 1)
            return
        values = [
            assignment.value
            for assignment in ast.walk(function)
            if isinstance(assignment, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in assignment.targets)
        ]
        if not values:
            self.problems.append(f"{where}: where {node.id} comes from is unknown")
        for value in values:
            self.check(module, value, expected, depth + 1)

    def _calls_of(self, module: Module, name: str):
        # A private helper is called from its own module; a public one from anywhere.
        scope = [module] if name.startswith("_") else self.modules
        for candidate in scope:
            for node in ast.walk(candidate.tree):
                if isinstance(node, ast.Call) and _callee(node) == name:
                    yield candidate, node


@pytest.fixture(scope="module")
def modules():
    return [Module.parse(name, path.read_text(), str(path)) for name, path in project_modules()]


def test_every_action_written_anywhere_is_an_enum_member(modules):
    scanner = Scanner(modules)
    problems = scanner.run()
    assert problems == []
    # The scan saw the writes it is about (a scan that finds nothing proves nothing).
    assert scanner.checked > 80


@pytest.mark.parametrize(
    "source",
    [
        'def f(): audit_record(action="auth.login")',
        'def f(kind): audit_record(action=f"card.{kind}")',
        "def f(): audit_record(actor=None)",
        'def _audit(action): audit_record(action=action)\ndef g(): _audit("auth.login")',
        'def f():\n    action = "auth.login"\n    audit_record(action=action)',
        "from portal.audit import AuthAction\ndef f(): audit_record(action=AuthAction.NOPE)",
        "from services.actions import RequestEventAction\n"
        "def f(): audit_record(action=RequestEventAction.FILED)",
        'def f(): RequestEvent.objects.create(action="filed")',
        "from cards.actions import CardEventAction\n"
        "def f(): RequestEvent.objects.create(action=CardEventAction.ISSUED)",
        "def f(): AuditEvent.objects.create(action='x')",
    ],
)
def test_the_scan_catches_actions_that_are_not_members(source):
    scanner = Scanner([Module.parse("tests.synthetic", source)])
    assert scanner.run(), source


def test_the_scan_accepts_members_passed_through_helpers():
    source = (
        "from portal.audit import AccountAction, AuthAction\n"
        "def _audit(user, action, **detail): audit_record(action=action, obj=user, **detail)\n"
        "def f(user, ok):\n"
        "    action = AccountAction.CHANGE\n"
        "    if ok:\n"
        "        action = AccountAction.ACTIVATE\n"
        "    _audit(user, action)\n"
        "    _audit(user, AuthAction.LOGIN if ok else AuthAction.LOGIN_FAILED)\n"
    )
    scanner = Scanner([Module.parse("tests.synthetic", source)])
    assert scanner.run() == []
    assert scanner.checked == 4


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_audit_enum_is_a_labelled_group_of_the_auditors_filters():
    groups = {prefix: dict(actions) for prefix, _label, actions in action_groups()}
    enums = list(_all_subclasses(AuditAction))
    assert len(enums) >= 10
    for enum in enums:
        assert len(enum.values) >= 1, enum
        for member in enum:
            prefix = member.value.split(".", 1)[0]
            assert groups.get(prefix, {}).get(member.value) == member.label, member
            assert CJK.search(member.label), f"{member.value} has no Chinese label"
            assert member.label != member.value
    for _prefix, label, _actions in action_groups():
        assert CJK.search(label)


@pytest.mark.parametrize("enum", [RequestEventAction, ApplicationEventAction, CardEventAction])
def test_every_timeline_step_has_a_chinese_label(enum):
    for member in enum:
        assert CJK.search(str(member.label)), member


def test_audit_record_refuses_a_plain_string(db):
    with pytest.raises(TypeError, match="AuditAction"):
        audit_record(action="auth.login")


def test_every_detail_key_written_has_a_chinese_name(modules):
    """The keyword arguments of every audit write, and of the helpers that pass theirs on,
    each have a name in the auditor's language."""
    helpers = {"_audit"}
    keys: dict[str, str] = {}
    for module in modules:
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call) and _callee(node) in {AUDIT, *helpers}:
                for keyword in node.keywords:
                    if keyword.arg and keyword.arg not in RECORD_PARAMETERS:
                        keys.setdefault(keyword.arg, module.where(node))
    # Keys that reach audit_record through a dict: staff_account_update's changes, the
    # sign-in's _who(), code_send's **audit.
    keys.update(dict.fromkeys(["real_name", "role", "department", "is_active"], "portal/staff.py"))
    keys.update(dict.fromkeys(["username", "unknown_name_hash"], "portal/signin.py"))
    keys.update(dict.fromkeys(["phone_masked"], "portal/credentials.py"))
    assert len(keys) > 40
    unnamed = {key: where for key, where in keys.items() if key not in known_detail_keys()}
    assert unnamed == {}
