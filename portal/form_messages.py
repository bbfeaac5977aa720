"""Required-field messages that say what is missing (issue 11 point 10).

Django answers an empty required field with "该字段是必填项。" whatever the field; a person
reads better "请输入用户名。" or "请选择材料类型。". Every page form of the project derives from
``PlainForm`` (tests/test_plain_messages.py checks it): at validation, each required field
whose message is still Django's generic one gets one built from its label, by the kind of
input (type it in, choose it, upload it, tick it). A message a form states itself is kept.
It is still one message per field: a field that is missing is not validated further.
"""

from django import forms
from django.utils.translation import gettext

GENERIC = forms.Field.default_error_messages["required"]


def _label(field: forms.Field, name: str) -> str:
    label = str(field.label or name.replace("_", " ")).strip()
    return label.rstrip("：:").strip()


def required_message(field: forms.Field, name: str) -> str:
    """What to say when ``field`` (form field ``name``) is left empty."""
    label = _label(field, name)
    if isinstance(field, forms.FileField):
        return gettext("请选择要上传的%(label)s。") % {"label": label}
    if isinstance(field, forms.BooleanField):
        return gettext("请勾选“%(label)s”。") % {"label": label}
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField) or isinstance(
        field.widget, forms.Select | forms.RadioSelect | forms.CheckboxSelectMultiple
    ):
        return gettext("请选择%(label)s。") % {"label": label}
    return gettext("请输入%(label)s。") % {"label": label}


def name_what_is_missing(form: forms.BaseForm) -> None:
    """Replace the generic required message of each of ``form``'s fields by one naming it."""
    for name, field in form.fields.items():
        message = field.error_messages.get("required")
        if message is GENERIC or str(message) == str(GENERIC):
            # A copy: the field may be shared with the form class (base_fields).
            field.error_messages = {
                **field.error_messages,
                "required": required_message(field, name),
            }


class PlainMessages:
    """Form mixin: required messages built from the labels (see the module docstring). Run at
    validation, so fields a form adds in its ``__init__`` are covered too."""

    def full_clean(self):
        name_what_is_missing(self)
        super().full_clean()


class PlainForm(PlainMessages, forms.Form):
    """The base of every page form."""
