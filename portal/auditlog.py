"""Reading the audit trail: what an event's object is called (FW-20260214-0001, BZYC-2026-000001,
优才卡申请 #12, an account's username and name) and its details as a sentence.

Each layer registers, from its AppConfig.ready(), a bulk resolver per object type
(``ids → labels``, at most one query per call), the Chinese names of the detail keys it
writes, and which detail keys hold codes of what kind (a service type's code HOUSING, a
department's code ZJJ) with a bulk resolver per kind (``codes → names``). ``label_events``
resolves a page of events with one query per object type and one per kind of code on it,
whatever the page's length.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from django.apps import apps

from portal.audit import action_filter_label, action_label

Resolver = Callable[[list[str]], Mapping[str, str]]

_RESOLVERS: dict[str, Resolver] = {}
# key → (Chinese name, {stored value → Chinese} or None to show the value as it is)
_DETAIL_LABELS: dict[str, tuple[str, dict]] = {}
# kind of code → resolver (codes → names); detail key → kind of code its values are
_CODE_RESOLVERS: dict[str, Resolver] = {}
_CODE_KEYS: dict[str, str] = {}
# {kind: {code: name}} for a page of events (label_events)
Names = Mapping[str, Mapping[str, str]]


def register_object_labels(object_type: str, resolver: Resolver) -> None:
    """``resolver(ids)`` answers ``{id: label}`` for the ids of ``object_type`` (an
    ``app_label.modelname``) it knows, in one query at most; ids it omits read as
    "<verbose name> #<id>"."""
    _RESOLVERS[object_type] = resolver


def register_detail_labels(labels: Mapping[str, tuple[str, Mapping | None]]) -> None:
    """Names of detail keys, with an optional map of their stored values. A key registered
    twice keeps its first name and merges the value maps (``kind`` is a document kind in
    cards and an export kind in services)."""
    for key, (label, values) in labels.items():
        known_label, known_values = _DETAIL_LABELS.get(key, (label, {}))
        _DETAIL_LABELS[key] = (known_label, {**known_values, **dict(values or {})})


def register_detail_codes(kind: str, keys: Iterable[str], resolver: Resolver | None = None) -> None:
    """The values of the detail ``keys`` are codes of ``kind`` (``department``,
    ``service_type``…), shown by their names; ``resolver(codes)`` answers ``{code: name}`` in
    one query at most (given once per kind, by the layer that owns the kind). A code nobody
    names (a deleted row, a layer not loaded) is shown as it is."""
    if resolver is not None:
        _CODE_RESOLVERS[kind] = resolver
    for key in keys:
        _CODE_KEYS[key] = kind


def _collect_codes(detail, found: dict[str, set[str]]) -> None:
    """The codes of each kind in a detail dict (nested dicts and lists included)."""
    if not isinstance(detail, dict):
        return
    for key, value in detail.items():
        if isinstance(value, dict):
            _collect_codes(value, found)
            continue
        kind = _CODE_KEYS.get(key)
        if kind is None:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str) and item:
                found.setdefault(kind, set()).add(item)


def code_names(details: Iterable) -> dict[str, dict[str, str]]:
    """``{kind: {code: name}}`` for the codes in ``details``: one resolver call (one query at
    most) per kind of code among them."""
    found: dict[str, set[str]] = {}
    for detail in details:
        _collect_codes(detail, found)
    names = {}
    for kind, codes in found.items():
        resolver = _CODE_RESOLVERS.get(kind)
        names[kind] = dict(resolver(sorted(codes))) if resolver else {}
    return names


def detail_label(key: str) -> str:
    """The Chinese name of a detail key (the key itself when nobody registered it)."""
    return _DETAIL_LABELS.get(key, (key, {}))[0]


def known_detail_keys() -> set[str]:
    return set(_DETAIL_LABELS)


def _fallback(object_type: str, object_id: str) -> str:
    try:
        name = apps.get_model(object_type)._meta.verbose_name
    except (LookupError, ValueError):
        name = object_type
    return f"{name} #{object_id}"


def object_labels(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """``{(object_type, object_id): label}`` for the given pairs: one resolver call (one
    query at most) per object type."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for object_type, object_id in pairs:
        if object_type and object_id:
            by_type[object_type].add(object_id)
    labels = {}
    for object_type, ids in by_type.items():
        resolver = _RESOLVERS.get(object_type)
        found = resolver(sorted(ids)) if resolver else {}
        for object_id in ids:
            labels[(object_type, object_id)] = found.get(object_id) or _fallback(
                object_type, object_id
            )
    return labels


def format_value(key: str, value, names: Names | None = None) -> str:
    """One detail value as people read it: booleans 是/否, lists joined with 、, known codes
    by their Chinese names (``names``: the page's codes resolved by ``code_names``), masked
    values as they are."""
    values = _DETAIL_LABELS.get(key, ("", {}))[1]
    if value is None or value == "":
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "action" and isinstance(value, str):
        return action_filter_label(value)
    if isinstance(value, list | tuple):
        return "、".join(format_value(key, item, names) for item in value) or "无"
    if isinstance(value, dict):
        return "，".join(f"{detail_label(k)} {format_value(k, v, names)}" for k, v in value.items())
    if key in _CODE_KEYS and isinstance(value, str):
        name = (names or {}).get(_CODE_KEYS[key], {}).get(value)
        if name:
            return name
    return str(values.get(value, value)) if isinstance(value, str | int) else str(value)


def detail_text(detail, names: Names | None = None) -> str:
    """A detail dict as a sentence: ``{"on_time": True}`` → ``按时：是。``; codes by their
    names when ``names`` (``code_names``) has them."""
    if not isinstance(detail, dict) or not detail:
        return ""
    # In the order the keys were named (registration order), not the order stored: PostgreSQL's
    # jsonb keeps keys sorted by length, SQLite as written, and the sentence must read the same.
    order = {key: position for position, key in enumerate(_DETAIL_LABELS)}
    keys = sorted(detail, key=lambda k: (order.get(k, len(order)), k))
    sentence = "；".join(f"{detail_label(k)}：{format_value(k, detail[k], names)}" for k in keys)
    # A reason typed with its own full stop keeps just one.
    return sentence if sentence.endswith(("。", "！", "？")) else sentence + "。"


def label_events(events: Iterable) -> list:
    """The events with ``action_label``, ``object_label`` and ``detail_text`` set, their
    objects and the codes in their details resolved in bulk (one query per object type and
    one per kind of code among them)."""
    events = list(events)
    labels = object_labels((e.object_type, e.object_id) for e in events)
    names = code_names(e.detail for e in events)
    for event in events:
        event.action_label = action_label(event.action)
        event.object_label = labels.get((event.object_type, event.object_id), "")
        event.detail_text = detail_text(event.detail, names)
    return events


# --- portal's own objects and detail keys ----------------------------------------------------
def _user_labels(ids: list[str]) -> dict[str, str]:
    from portal.identity import mask_name
    from portal.models import Role, User

    pks = [int(pk) for pk in ids if pk.isdigit()]
    rows = User.objects.filter(pk__in=pks).values_list("pk", "username", "real_name", "role")
    labels = {}
    for pk, username, real_name, role in rows:
        # A talent's name is personal information: masked here as everywhere (DESIGN.md);
        # staff act in their official capacity under their own name.
        name = mask_name(real_name) if role == Role.TALENT else real_name
        labels[str(pk)] = f"{username}（{name}）" if name else username
    return labels


def _department_labels(ids: list[str]) -> dict[str, str]:
    from portal.models import Department

    pks = [int(pk) for pk in ids if pk.isdigit()]
    rows = Department.objects.filter(pk__in=pks).values_list("pk", "code", "name")
    return {str(pk): f"{name}（{code}）" for pk, code, name in rows}


def _department_names(codes: list[str]) -> dict[str, str]:
    from portal.models import Department

    return dict(Department.objects.filter(code__in=codes).values_list("code", "name"))


def register_portal() -> None:
    """Portal's part of the registries (PortalConfig.ready)."""
    from portal.identity import IdType
    from portal.models import CodePurpose, Role
    from portal.models.access import FIELD_LABELS
    from portal.models.throttle import Scope

    register_object_labels("portal.user", _user_labels)
    register_object_labels("portal.department", _department_labels)
    # An account's department is written as its code (portal.accounts, portal.staff).
    register_detail_codes("department", ["department"], _department_names)
    register_detail_labels(
        {
            "username": ("用户名", None),
            "unknown_name_hash": ("未注册用户名（摘要）", None),
            "real_name": ("真实姓名", None),
            "role": ("角色", dict(Role.choices)),
            "department": ("部门", None),
            "is_active": ("启用", None),
            "id_type": ("证件类型", dict(IdType.choices)),
            "id_number_masked": ("证件号码", None),
            "phone_masked": ("手机号码", None),
            "old_phone_masked": ("原手机号码", None),
            "new_phone_masked": ("新手机号码", None),
            "demo": ("演示数据", None),
            "tokens_ended": ("结束的登录会话数", None),
            "initial": ("首次登录强制修改", None),
            "purpose": ("用途", dict(CodePurpose.choices)),
            "attempts": ("已尝试次数", None),
            "step": ("环节", {"confirm": "确认绑定", "disable": "关闭"}),
            "scope": ("锁定范围", dict(Scope.choices)),
            "via": ("方式", {"session": "网页", "token": "接口令牌"}),
            "count": ("数量", None),
            "object_label": ("对象", None),
            "subject": ("信息主体账户编号", None),
            "fields": ("涉及字段", {**FIELD_LABELS, "name": "名称", "is_active": "启用"}),
            "reason": ("原因", None),
            "filters": ("筛选条件", None),
            "actor": ("操作人", None),
            "action": ("事件", None),
            "from": ("起始日期", None),
            "to": ("截止日期", None),
            "retention_counts": ("各类信息（已处理/到期）", None),
            "retention_handled": ("已删除或匿名化", None),
            "retention_failed": ("处理失败", None),
        }
    )
