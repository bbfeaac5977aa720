"""The catalogue's two lists (a service type's application form fields and its materials),
edited in the admin as tables with Chinese column names instead of JSON (issue 11 point 10):
one row per field or material, a 删除 box, a 顺序 number, and a few blank rows for new ones.

The rows become the same JSON the API, the pages and Open311 read, checked by the catalogue's
own validator (services.models.catalogue.check_field_definitions) with its Chinese messages.
Keys the table has no column for (added by another version or by a data import) travel in a
hidden input with their row and are written back unchanged, so the editor never drops them.
"""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from services.models import Datatype
from services.models.catalogue import check_field_definitions

BLANK_ROWS = 3
MAX_ROWS = 200  # a posted row count is not trusted beyond this

TEXT, LINES, SELECT, CHECK = "text", "lines", "select", "check"


class RowsWidget(forms.Widget):
    """A table of rows, one input per column, posted as ``<name>-<i>-<column>``."""

    # (key, column title, kind, help for screen readers and the tooltip)
    columns: tuple = ()
    # key → the key whose cell it is shown under (the English under the Chinese), so that a
    # row fits the change form's width
    stacked: dict = {}
    caption = ""
    template = "admin/services/rows_widget.html"

    class Media:
        css = {"all": ["css/admin-rows.css"]}

    def row_of(self, item: dict) -> dict:
        """A stored item as the row's inputs show it."""
        row = {}
        for key, _title, kind, _help in self.columns:
            value = item.get(key)
            if kind == CHECK:
                row[key] = bool(value)
            elif kind == LINES:
                row[key] = "\n".join(str(v) for v in value) if isinstance(value, list) else ""
            else:
                row[key] = "" if value is None else str(value)
        known = {key for key, *_ in self.columns}
        extra = {k: v for k, v in item.items() if k not in known}
        row["extra"] = json.dumps(extra, ensure_ascii=False) if extra else ""
        return row

    def value_from_datadict(self, data, files, name):
        try:
            count = min(int(data.get(f"{name}-rows", 0)), MAX_ROWS)
        except (TypeError, ValueError):
            count = 0
        rows = PostedRows()
        for i in range(max(count, 0)):
            prefix = f"{name}-{i}-"
            row = {
                "order": data.get(prefix + "order", ""),
                "delete": bool(data.get(prefix + "delete")),
                "extra": data.get(prefix + "extra", ""),
            }
            for key, _title, kind, _help in self.columns:
                if kind == CHECK:
                    row[key] = bool(data.get(prefix + key))
                else:
                    row[key] = data.get(prefix + key, "")
            rows.append(row)
        return rows

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-rows" not in data

    def render(self, name, value, attrs=None, renderer=None):
        if isinstance(value, PostedRows):  # shown again with its errors, as typed
            rows = [dict(row) for row in value]
        else:
            items = value if isinstance(value, list) else []
            rows = [self.row_of(item) for item in items if isinstance(item, dict)]
            for position, row in enumerate(rows, start=1):
                row["order"] = str(position)
            rows += [self.row_of({}) | {"order": ""} for _ in range(BLANK_ROWS)]
        cells = []
        for i, row in enumerate(rows):
            inputs = {}
            for key, title, kind, help_text in self.columns:
                inputs[key] = {
                    "name": f"{name}-{i}-{key}",
                    "id": f"id_{name}-{i}-{key}",
                    "title": title,
                    "kind": kind,
                    "help": help_text,
                    "value": row.get(key, False if kind == CHECK else ""),
                    "choices": self.choices_for(key, row.get(key, "")),
                }
            groups = [
                [inputs[key], *(inputs[k] for k, under in self.stacked.items() if under == key)]
                for key, *_ in self.columns
                if key not in self.stacked
            ]
            cells.append(
                {
                    "number": i + 1,
                    "prefix": f"{name}-{i}-",
                    "groups": groups,
                    "order": row.get("order", ""),
                    "delete": row.get("delete", False),
                    "extra": row.get("extra", ""),
                }
            )
        return render_to_string(
            self.template,
            {
                "name": name,
                "caption": self.caption,
                "headers": self.headers(),
                "rows": cells,
                "count": len(rows),
            },
        )

    def choices_for(self, key: str, current) -> list:
        return []

    def headers(self) -> list[tuple[str, str]]:
        """(title, tooltip) of each column; a stacked key's title joins its cell's."""
        titles = {key: (title, help_text) for key, title, _kind, help_text in self.columns}
        headers = []
        for key, title, _kind, help_text in self.columns:
            if key in self.stacked:
                continue
            below = [titles[k] for k, under in self.stacked.items() if under == key]
            headers.append(
                (
                    " / ".join([title, *(t for t, _h in below)]),
                    "；".join([help_text, *(h for _t, h in below)]),
                )
            )
        return headers


class PostedRows(list):
    """The rows as posted (strings and booleans), before they are checked."""


def _lines(text: str, *, keep_inner_blanks: bool = False) -> list[str]:
    lines = [line.strip() for line in str(text).splitlines()]
    if keep_inner_blanks:  # English values pair with the values line by line
        while lines and not lines[-1]:
            lines.pop()
        return lines
    return [line for line in lines if line]


def _extra(row: dict) -> dict:
    try:
        extra = json.loads(row.get("extra") or "{}")
    except ValueError:
        return {}
    return extra if isinstance(extra, dict) else {}


class RowsField(forms.Field):
    """The list a RowsWidget posts, cleaned into the stored JSON (``build``) and checked."""

    widget_class = RowsWidget
    text_keys: tuple = ()

    def __init__(self, **kwargs):
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.pop("max_length", None)
        kwargs.setdefault("widget", self.widget_class)
        kwargs["required"] = False
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value

    def to_python(self, value):
        if not isinstance(value, PostedRows):
            return value if isinstance(value, list) else []
        kept = []
        for position, row in enumerate(value):
            extra = _extra(row)
            blank = not any(str(row.get(key, "")).strip() for key in self.text_keys)
            if row.get("delete") or (blank and not extra):
                continue
            try:
                order = int(str(row.get("order", "")).strip())
            except ValueError:
                order = MAX_ROWS + position  # no number: after the numbered rows, as listed
            item = self.build(row)
            item.update({k: v for k, v in extra.items() if k not in item})
            kept.append((order, position, item))
        kept.sort(key=lambda entry: entry[:2])
        return [item for _order, _position, item in kept]

    def build(self, row: dict) -> dict:
        raise NotImplementedError

    def has_changed(self, initial, data):
        try:
            return self.normal(self.to_python(data)) != self.normal(initial or [])
        except ValidationError:
            return True

    def normal(self, items) -> list:
        return list(items or [])


class FieldRowsWidget(RowsWidget):
    caption = "申请表字段（每行一个字段）"
    columns = (
        ("code", "字段代码", TEXT, "小写字母开头，可含数字和下划线，如 child_name；保存后不要修改"),
        ("label", "名称", TEXT, "申请人看到的字段名称，如 子女姓名"),
        ("label_en", "英文名称", TEXT, "英文页面显示的名称，可不填"),
        ("datatype", "类型", SELECT, "单选、多选须填写可选值"),
        ("required", "必填", CHECK, "勾选表示申请人必须填写"),
        ("values", "可选值（每行一个）", LINES, "单选、多选的选项，每行一个"),
        ("values_en", "可选值英文（每行一个）", LINES, "与可选值逐行对应，可不填"),
    )
    stacked = {"label_en": "label", "values_en": "values"}

    def choices_for(self, key, current):
        if key != "datatype":
            return []
        choices = [(str(value), str(label)) for value, label in Datatype.choices]
        if current and current not in Datatype.values:
            choices.append((str(current), f"{current}（无效）"))
        return choices

    def row_of(self, item):
        row = super().row_of(item)
        row["datatype"] = row["datatype"] or Datatype.STRING
        return row


class FieldRowsField(RowsField):
    """A service type's application form fields, checked by check_field_definitions."""

    widget_class = FieldRowsWidget
    text_keys = ("code", "label", "label_en", "values", "values_en")

    def build(self, row):
        item = {"code": str(row.get("code", "")).strip(), "label": str(row["label"]).strip()}
        if str(row.get("label_en", "")).strip():
            item["label_en"] = str(row["label_en"]).strip()
        item["datatype"] = row.get("datatype") or Datatype.STRING
        item["required"] = bool(row.get("required"))
        values = _lines(row.get("values", ""))
        if values:
            item["values"] = values
        values_en = _lines(row.get("values_en", ""), keep_inner_blanks=True)
        if any(values_en):
            item["values_en"] = values_en
        return item

    def validate(self, value):
        super().validate(value)
        check_field_definitions(value)

    def normal(self, items):
        # Absent and empty mean the same (a seed row may have no "required" or "values").
        return [
            {
                **item,
                "required": bool(item.get("required")),
                "values": item.get("values") or [],
                "values_en": item.get("values_en") or [],
                "label_en": item.get("label_en") or "",
            }
            for item in items or []
            if isinstance(item, dict)
        ]


class MaterialRowsWidget(RowsWidget):
    caption = "材料清单（每行一种材料，一次告知申请人）"
    columns = (
        ("name", "材料名称", TEXT, "如 户口簿"),
        ("name_en", "英文名称", TEXT, "英文页面显示的名称，可不填"),
        ("required", "必需", CHECK, "勾选表示必须提供；不勾选表示视情况提供"),
    )
    stacked = {"name_en": "name"}


class MaterialRowsField(RowsField):
    """A service type's materials (一次告知): each needs a name."""

    widget_class = MaterialRowsWidget
    text_keys = ("name", "name_en")

    def build(self, row):
        item = {"name": str(row.get("name", "")).strip()}
        if str(row.get("name_en", "")).strip():
            item["name_en"] = str(row["name_en"]).strip()
        item["required"] = bool(row.get("required"))
        return item

    def validate(self, value):
        super().validate(value)
        for position, item in enumerate(value, start=1):
            if not item.get("name"):
                raise ValidationError(f"第{position}项材料缺少材料名称。")

    def normal(self, items):
        return [
            {
                **item,
                "required": bool(item.get("required")),
                "name_en": item.get("name_en") or "",
            }
            for item in items or []
            if isinstance(item, dict)
        ]
