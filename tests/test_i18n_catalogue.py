"""The English catalogue is complete (issue 14 point 4).

1. Every template a talent, a verifier or a visitor can reach has no Chinese text outside
   ``{% translate %}`` / ``{% blocktranslate %}…{% endblocktranslate %}`` / ``_("…")`` (attributes
   included): an unmarked string would stay Chinese on the English pages.
2. Every marked string (templates and Python) has an English entry in the committed
   ``locale/en/LC_MESSAGES/django.po``, neither empty nor fuzzy: ``makemessages`` is run exactly
   as ``make messages`` runs it, on a copy of the sources, so the committed files stay untouched.

Both failures list what is missing, file by file.
"""

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(settings.BASE_DIR)
TEMPLATES = ROOT / "templates"
CATALOGUE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"

# Templates only the staff of departments, the organization department and the auditor see: the
# staff desk may stay Chinese (issue 14 point 4). A template any talent, verifier or visitor can
# reach is checked, includes too.
STAFF_ONLY = (
    "services/desk/",  # the department handlers' work queue
    "services/handling/",  # a handler's request page
    "services/manage/",  # department and admin request lists
    "services/supervision/",  # dashboards, 督办清单, the working-day calendar
    "services/includes/request_rows.html",  # rows of the desk and manage lists only
    "cards/manage/",  # the talent office's card review and card lists
    "subsidies/desk/",  # the paying department's desk: review and payment of entitlements
    "subsidies/manage/",  # the organization department's entitlement list and suspension
    "subsidies/supervision/",  # 政策兑现 on the 督查看板 (admins and paying leads)
    "talents/portrait/",  # 人才画像 and 人才名录 (the organization department)
    "talents/liaison/",  # 联系服务: service officers and the organization department
    "talents/card_section.html",  # the talents section of the 人才办's card page
    "portal/staff/",  # account management by the organization department
    "open311/partners/",  # 合作系统: the organization department's partner systems
    "portal/includes/reveal_panel.html",  # staff revealing a person's full ID number
    "portal/audit_list.html",  # the auditor's log
    "admin/",  # Django admin (organization department)
    "drf_spectacular/",  # the API documentation page
)

# Chinese that must stay Chinese on English pages, with the reason.
ALLOWED = {
    # The switch names each language in that language ("中文" carries lang="zh-CN").
    "includes/language_switch.html": {"中文"},
}

# Han ideographs, CJK punctuation (。、「」　) and full-width forms (：（），).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")
MARKED = [
    re.compile(r"\{#.*?#\}"),
    re.compile(r"\{%\s*comment\b.*?%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(
        r"\{%\s*blocktrans(?:late)?\b.*?%\}.*?\{%\s*endblocktrans(?:late)?\s*%\}",
        re.S,
    ),
    re.compile(r"\{%\s*trans(?:late)?\s.*?%\}", re.S),
    re.compile(r"""\b_\(\s*(?:"[^"]*"|'[^']*')\s*\)"""),
]


def _visible_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if not name.startswith(STAFF_ONLY):
            yield name, path


def _unmarked(name: str, text: str) -> list[str]:
    for pattern in MARKED:
        # Keep the line breaks, so that the line numbers reported stay right.
        text = pattern.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for run in CJK.findall(line):
            if run not in ALLOWED.get(name, ()):
                found.append(f"{name}:{number}: {run}")
    return found


def test_the_checked_templates_include_every_talent_and_verifier_page():
    names = {name for name, _path in _visible_templates()}
    for page in [
        "base.html",
        "404.html",
        "portal/home.html",
        "portal/register.html",
        "portal/privacy_rules.html",
        "cards/card_home.html",
        "cards/verify.html",
        "services/guide.html",
        "services/request_detail.html",
        "cards/includes/timeline.html",
    ]:
        assert page in names
    assert "services/desk/queue.html" not in names


def test_the_scanner_sees_unmarked_text_in_text_and_attributes():
    sample = (
        '{# 注释 #}<p>{% translate "已标记" %}</p><p title="提示">未标记</p>\n'
        "{% blocktranslate trimmed %}共 {{ n }} 件{% endblocktranslate %}"
        '{% include "x.html" with label=_("标签") %}<input placeholder="请输入">'
    )
    assert _unmarked("x.html", sample) == [
        "x.html:1: 提示",
        "x.html:1: 未标记",
        "x.html:2: 请输入",
    ]


def test_no_template_a_talent_or_verifier_sees_has_unmarked_chinese():
    found = []
    for name, path in _visible_templates():
        found += _unmarked(name, path.read_text(encoding="utf-8"))
    assert not found, (
        "Chinese text not marked for translation (wrap it in {% translate %} or "
        "{% blocktranslate trimmed %}, then `make messages` and fill in the English):\n"
        + "\n".join(found)
    )


# --- the English catalogue ---------------------------------------------------------------------
# What `make messages` leaves out (Makefile): the virtualenv, the benchmark, run-time files.
SKIPPED_DIRS = {".venv", "bench", "var", "node_modules", "staticfiles", "__pycache__"}


def _copy_sources(target: Path) -> None:
    """The files makemessages reads for the "django" domain (.py, .html, .txt), copied: it
    writes temporary files next to the templates it reads."""
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and path.suffix in {".py", ".html", ".txt"}:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / relative)
    (target / CATALOGUE.relative_to(ROOT)).parent.mkdir(parents=True)
    shutil.copyfile(CATALOGUE, target / CATALOGUE.relative_to(ROOT))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The committed catalogue merged with every string marked in the sources now."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail("GNU gettext (xgettext, msgmerge) is needed: apt-get install gettext")
    root = tmp_path_factory.mktemp("messages")
    _copy_sources(root)
    locale = root / "locale"
    with override_settings(LOCALE_PATHS=[locale]), pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        call_command(
            "makemessages",
            locale=["en"],
            no_location=True,
            no_obsolete=True,
            ignore_patterns=sorted(SKIPPED_DIRS),
            verbosity=0,
        )
    return polib.pofile(str(locale / "en" / "LC_MESSAGES" / "django.po"))


def _label(entry) -> str:
    context = f"[{entry.msgctxt}] " if entry.msgctxt else ""
    return f"  {context}{entry.msgid!r}"


def test_every_marked_string_is_in_the_committed_catalogue(extracted):
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(CATALOGUE))}
    missing = [_label(e) for e in extracted if (e.msgctxt, e.msgid) not in committed]
    assert not missing, (
        "Marked strings missing from locale/en/LC_MESSAGES/django.po (run `make messages`, "
        "then translate them):\n" + "\n".join(missing)
    )


def _untranslated(entry) -> bool:
    if entry.msgid_plural:
        return not entry.msgstr_plural or not all(entry.msgstr_plural.values())
    return not entry.msgstr


def test_every_marked_string_has_english(extracted):
    empty = [_label(e) for e in extracted if _untranslated(e) and not e.obsolete]
    fuzzy = [_label(e) for e in extracted if e.fuzzy and not e.obsolete]
    report = []
    if empty:
        report += ["without English (fill in msgstr):", *empty]
    if fuzzy:
        report += ["fuzzy (check the English, then remove the fuzzy flag):", *fuzzy]
    assert not report, "locale/en/LC_MESSAGES/django.po:\n" + "\n".join(report)
