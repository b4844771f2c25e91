"""The interface's translations are complete and every user-facing string can be translated (issue 16).

a. Every msgid that ``make messages`` (``makemessages`` with the project's flags) would extract from
   the code today is in each committed catalogue: the command runs in a temporary copy of the
   project (it would otherwise rewrite ``locale/``), and its template (.pot) is compared with
   ``locale/<lang>/LC_MESSAGES/django.po``. A failure names the missing msgids: run
   ``make messages``, translate them, commit the catalogues.
b. Every entry of each catalogue is translated (every plural form), none is fuzzy, and
   ``msgfmt --check-format`` accepts it (its placeholders match the msgid's).
c. Text people read is translatable: a scan of every template (Django's own template Lexer, then
   the HTML's text and its human-read attributes) finds no words outside ``{% translate %}`` /
   ``{% blocktranslate %}``, and a scan of the Python (its syntax tree) finds no user-facing literal
   that is not passed through gettext: ``messages.<level>(request, "...")``,
   ``ValidationError("...")``, form and model field ``label`` / ``help_text`` / ``verbose_name``
   and error messages, a model field's verbose name as its first argument, ``Meta.verbose_name``
   and ``TextChoices`` labels. Operator-facing text stays English and is not scanned:
   ``raise CommandError(...)`` (management commands, read by whoever runs them), logging, and the
   REST API's OpenAPI descriptions (``serializers.*Field(help_text=...)``, read by integrators).
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
# The languages with a catalogue: every interface language but English, whose msgids are the text.
CATALOGUE_LANGUAGES = [code for code, _name in settings.LANGUAGES if not code.startswith("en")]
# `make messages` (Makefile), less the -l options: the extraction is the same for every language.
MAKEMESSAGES_FLAGS = [
    "--ignore=.venv",
    "--ignore=node_modules",
    "--ignore=static",
    "--ignore=*/tests/*",
    "--ignore=bench",
    "--no-obsolete",
    "--no-location",
]
# What a copy of the project for makemessages leaves out (none of it is scanned by the flags above,
# or it is not source: the virtualenv, uploads, the catalogues themselves).
NOT_COPIED = {
    ".venv",
    ".git",
    "node_modules",
    "media",
    "staticfiles",
    "static",
    "bench",
    "locale",
    "sent-mail",
    "__pycache__",
}

# Words that are the same in every language, each with the reason it is not translated.
ALLOWED_WORDS = {
    "UTC": "the time standard's abbreviation, written so in every language (the audit PDF's time column)",
}


def _key(entry: polib.POEntry) -> tuple[str | None, str, str]:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def _show(key: tuple[str | None, str, str]) -> str:
    context, msgid, plural = key
    text = repr(msgid) + (f" / plural {plural!r}" if plural else "")
    return f"[{context}] {text}" if context else text


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[tuple[str | None, str, str]]:
    """The msgids makemessages extracts from the code today (its .pot, from a copy of the project)."""
    copy = tmp_path_factory.mktemp("project") / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=lambda folder, names: [
            name
            for name in names
            if (
                Path(folder) == ROOT
                and (name in NOT_COPIED or name.startswith("test_lms_") or name.endswith(".sqlite3"))
            )
            or name == "__pycache__"
        ],
    )
    (copy / "locale").mkdir()
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", CATALOGUE_LANGUAGES[0], "--keep-pot", *MAKEMESSAGES_FLAGS],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pot = polib.pofile(str(copy / "locale" / "django.pot"))
    return {_key(entry) for entry in pot if entry.msgid}


def _catalogue(language: str) -> polib.POFile:
    path = LOCALE / language / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run `make messages`"
    return polib.pofile(str(path))


# --- a. complete: every string of the code is in every catalogue ----------------------------------


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_every_extracted_msgid_is_in_the_catalogue(extracted, language):
    catalogue = {_key(entry) for entry in _catalogue(language) if not entry.obsolete}

    missing = sorted(extracted - catalogue, key=lambda key: (key[1], key[0] or ""))

    assert missing == [], (
        f"locale/{language}/LC_MESSAGES/django.po lacks {len(missing)} msgid(s) the code has "
        "(run `make messages`, translate them, commit the catalogue):\n" + "\n".join(_show(key) for key in missing)
    )


# --- b. translated: every entry, every plural form, none fuzzy, placeholders matching ---------------


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    problems = []
    for entry in _catalogue(language):
        if entry.obsolete or not entry.msgid:
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {_show(_key(entry))}")
        elif entry.msgid_plural:
            forms = entry.msgstr_plural
            if not forms or any(not text for text in forms.values()):
                problems.append(f"a plural form untranslated: {_show(_key(entry))}")
        elif not entry.msgstr:
            problems.append(f"untranslated: {_show(_key(entry))}")

    assert problems == [], f"locale/{language}: {len(problems)} entries to finish:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_msgfmt_checks_the_placeholders(language, tmp_path):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(tmp_path / "django.mo"), str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- c. translatable: templates ----------------------------------------------------------------------

VARIABLE = "\x00"  # where a {{ variable }} was: not a word, and kept apart from the words around it
WORD = re.compile(r"[^\W\d_]{2,}")
# Not language: a URL or path, an identifier, markup or a template remnant (a word joined to / _ @ = < > {).
CODE_LIKE = re.compile(r"\S*[/_@=<>{}#]\S*")
HUMAN_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "aria-roledescription", "label"}
# Elements whose text is code, a file format or a script, not language.
NOT_LANGUAGE = {"script", "style", "code", "pre", "kbd", "samp"}


def _without_translated_text(source: str) -> str:
    """The template as the HTML it makes, with every translated text, tag and comment left out
    and each variable a marker: only the text nobody can translate is left."""
    parts = []
    closing = None  # the end tag of a {% blocktranslate %}, {% comment %} or {% verbatim %} we are in
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = (token.contents.split() or [""])[0]
            if closing is None and name in {"blocktranslate", "blocktrans", "comment", "verbatim"}:
                closing = "end" + name
            elif name == closing:
                closing = None
            parts.append(" ")
        elif token.token_type == TokenType.VAR:
            parts.append(" " if closing else f" {VARIABLE} ")
        elif token.token_type == TokenType.COMMENT or closing:
            parts.append(" ")
        else:
            parts.append(token.contents)
    return "".join(parts)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str, str]] = []  # (line, text, how it is shown in a failure)
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in NOT_LANGUAGE:
            self.skipping += 1
        for name, value in attrs:
            if name in HUMAN_ATTRIBUTES and value:
                self.found.append((self.getpos()[0], value, f'{name}="{value}"'))

    def handle_endtag(self, tag):
        if tag in NOT_LANGUAGE and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.found.append((self.getpos()[0], data, data))


def untranslated_text(source: str, *, html: bool = True) -> list[tuple[int, str]]:
    """(line, text) of each piece of text in a template that holds words outside translate tags."""
    rest = _without_translated_text(source)
    if html:
        parser = _Text()
        parser.feed(rest)
        parser.close()
        pieces = parser.found
    else:
        pieces = [
            (rest[: match.start()].count("\n") + 1, match.group(0), match.group(0))
            for match in re.finditer(r"[^\n]+", rest)
        ]
    found = []
    for line, text, shown in pieces:
        words = [
            word for word in WORD.findall(CODE_LIKE.sub(" ", text.replace(VARIABLE, " "))) if word not in ALLOWED_WORDS
        ]
        if words:
            found.append((line, " ".join(shown.replace(VARIABLE, "…").split())[:120]))
    return found


def test_the_template_scan_finds_text_outside_translate_tags():
    source = (
        '{% load i18n %}<h1>{% translate "Hello" %}</h1><p>Welcome back</p>'
        '<button aria-label="Close {{ name }}">×</button>'
        "{% blocktranslate with n=count %}{{ n }} people{% endblocktranslate %}"
        "{% comment %}Not shown{% endcomment %}<code>make test</code><p>{{ value }} · 87 %</p>"
    )

    found = untranslated_text(source)

    assert [text for _line, text in found] == ["Welcome back", 'aria-label="Close … "']


def test_every_template_is_translatable():
    problems = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix not in {".html", ".txt"}:
            continue
        for line, text in untranslated_text(path.read_text(), html=path.suffix == ".html"):
            problems.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")

    assert problems == [], "text outside {% translate %} / {% blocktranslate %}:\n" + "\n".join(problems)


# --- c. translatable: Python --------------------------------------------------------------------------

APPS = ("lms", "courses", "assignments", "escalation", "reports", "api")
MESSAGE_LEVELS = {"debug", "info", "success", "warning", "error"}
RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField"}
FIELD_TEXTS = {"label", "help_text", "verbose_name"}


def _literal(node: ast.AST) -> str | None:
    """The text of a literal that never went through gettext: a string, an f-string, or one
    formatted with % or .format() (``_("...") % x`` is a call, so it is not one)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return _literal(node.left)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _literal(node.func.value)
    else:
        return None
    return text if WORD.search(text) else None


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _owner(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id
    return ""


def untranslated_literals(source: str) -> list[tuple[int, str, str]]:
    """(line, what, text) of each user-facing literal in a module that is not wrapped in gettext."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name, owner = _name(node.func), _owner(node.func)
            candidates = []
            if owner == "messages" and name in MESSAGE_LEVELS and len(node.args) >= 2:
                candidates.append((f"messages.{name}", node.args[1]))
            if owner == "messages" and name == "add_message" and len(node.args) >= 3:
                candidates.append(("messages.add_message", node.args[2]))
            if name == "ValidationError" and node.args:
                candidates.append(("ValidationError", node.args[0]))
            if (name.endswith("Field") or name in RELATION_FIELDS) and owner != "serializers":
                for keyword in node.keywords:
                    if keyword.arg in FIELD_TEXTS:
                        candidates.append((f"{name}({keyword.arg}=)", keyword.value))
                    if keyword.arg == "error_messages" and isinstance(keyword.value, ast.Dict):
                        candidates += [(f"{name}(error_messages=)", value) for value in keyword.value.values]
                if owner == "models" and node.args and name not in RELATION_FIELDS:
                    candidates.append((f"models.{name}(verbose name)", node.args[0]))
            found += [(node.lineno, what, text) for what, arg in candidates if (text := _literal(arg))]
        elif isinstance(node, ast.ClassDef):
            choices = {_name(base) for base in node.bases} & {"TextChoices", "IntegerChoices", "Choices"}
            for statement in node.body:
                if not isinstance(statement, ast.Assign):
                    continue
                targets = {target.id for target in statement.targets if isinstance(target, ast.Name)}
                if node.name == "Meta" and targets & {"verbose_name", "verbose_name_plural"}:
                    if text := _literal(statement.value):
                        found.append((statement.lineno, "Meta.verbose_name", text))
                value = statement.value
                if choices and isinstance(value, ast.Tuple) and len(value.elts) == 2:
                    if text := _literal(value.elts[1]):
                        found.append((statement.lineno, f"{node.name} label", text))
    return found


def test_the_python_scan_finds_literals_not_passed_through_gettext():
    source = """
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django import forms
from django.db import models

class State(models.TextChoices):
    DUE = "due", "Due"
    DONE = "done", _("Done")

class Thing(models.Model):
    name = models.CharField("name", max_length=10)
    owner = models.ForeignKey("User", on_delete=models.CASCADE, verbose_name=_("owner"))

class ThingForm(forms.Form):
    title = forms.CharField(label="Title", help_text=_("Shown first."))

def view(request):
    messages.success(request, f"Saved {request.user}")
    messages.info(request, _("Translated"))
    raise ValidationError("Bad %s" % 1)

def command():
    raise CommandError("Operators read this")
"""
    found = [(what, text) for _line, what, text in untranslated_literals(source)]

    assert sorted(found) == sorted(
        [
            ("State label", "Due"),
            ("models.CharField(verbose name)", "name"),
            ("CharField(label=)", "Title"),
            ("messages.success", "Saved "),
            ("ValidationError", "Bad %s"),
        ]
    )


def test_user_facing_python_strings_are_translatable():
    problems = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if {"tests", "migrations"} & set(relative.parts):
                continue
            for line, what, text in untranslated_literals(path.read_text()):
                problems.append(f"{relative}:{line}: {what}: {text[:80]!r}")

    assert problems == [], "wrap in gettext / gettext_lazy:\n" + "\n".join(problems)
