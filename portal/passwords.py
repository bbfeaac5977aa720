"""Password rules with messages in Chinese (等保 2.0: length and complexity).

Django's own MinimumLengthValidator message is not translated in its zh-Hans catalogue for the
current wording, so the length rule is restated here together with the complexity rule.
"""

import re

from django.core.exceptions import ValidationError

_CLASSES = (
    ("大写字母", re.compile(r"[A-Z]")),
    ("小写字母", re.compile(r"[a-z]")),
    ("数字", re.compile(r"[0-9]")),
    ("特殊字符", re.compile(r"[^A-Za-z0-9]")),
)


class LengthAndComplexityValidator:
    """At least ``min_length`` characters and at least ``min_classes`` of the four classes."""

    def __init__(self, min_length: int = 8, min_classes: int = 3):
        self.min_length = min_length
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                f"密码至少需要{self.min_length}个字符。", code="password_too_short"
            )
        present = sum(1 for _, pattern in _CLASSES if pattern.search(password))
        if present < self.min_classes:
            raise ValidationError(
                f"密码需至少包含大写字母、小写字母、数字、特殊字符中的{self.min_classes}种。",
                code="password_too_simple",
            )

    def get_help_text(self):
        return (
            f"至少{self.min_length}个字符，包含大写字母、小写字母、数字、特殊字符中的"
            f"至少{self.min_classes}种。"
        )
