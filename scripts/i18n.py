"""Translation catalogs: extract the English msgids, merge them into the .po files, check the translations.

    python scripts/i18n.py extract [--module kernel]  writes his/<module>/locale/messages.pot
    python scripts/i18n.py update  [--module kernel]  merges the template into vi and en messages.po
    python scripts/i18n.py check   [--module kernel]  exit 1 if a msgid lacks a translation or a placeholder

A module takes part once it has a `locale/` folder. The kernel catalog also covers his/app.py and his/cli.py.
Messages are found by Babel's extractors, in-process: `_()` calls in Jinja templates; in Python the calls
listed in KEYWORDS (error classes, `lazy`, `translator.gettext`, permission and navigation declarations) and
a few places where a msgid is not a call argument (see `extract_python`). `pybabel extract -F babel.cfg` with
the same keywords finds all but those.
"""

from __future__ import annotations

import argparse
import ast
import string
import sys
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.extract import extract_python as babel_extract_python
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "his"
LOCALES = ("vi", "en")
SOURCE_LOCALE = "en"
PROJECT = "his-vn"
# Files outside the module folder whose messages the kernel catalog carries.
KERNEL_EXTRA_FILES = ("app.py", "cli.py")
# The decision module shows the alerts of the pure engine (cdss/): its catalog carries their English msgids.
CDSS_MODULE = "decision"
CDSS_SOURCES = ("cdss/data/*.csv", "cdss/checks/*.py", "cdss/*.py")
CLASS_COMMENT = "A drug class: the {group} of a duplicate-therapy or allergy alert."

# name -> which positional argument is the msgid (None: the first).
KEYWORDS: dict[str, Any] = {
    "_": None,
    "gettext": (2,),  # kernel.translator.gettext(locale, message, params)
    "lazy": None,
    "DomainError": None,
    "InvalidInput": None,
    "NotFound": None,
    "Conflict": None,
    "AuthenticationRequired": None,
    "PermissionDenied": None,
    "TooManyRequests": None,
    "PermissionDef": (2,),  # PermissionDef(code, description, default_roles)
    "NavItem": None,  # NavItem(label, href, permission)
    "_respond": (3,),  # problems._respond(request, status, title, detail)
}

# Names whose dict values (and .get fallbacks) are msgids: problem titles and details (web/problems.py).
MSGID_DICTS = frozenset({"titles", "messages"})
# Lists that collect msgids with .append (the password policy in his/kernel/auth/passwords.py).
MSGID_LISTS = frozenset({"problems"})
# Class attributes that are msgids (DomainError.title).
MSGID_CLASS_ATTRIBUTES = frozenset({"title"})

TAGS = ("Translators:",)
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)
JINJA_OPTIONS = {"silent": "false", "trim_blocks": "true", "lstrip_blocks": "true"}


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
        return node.value
    return None


def _msgids_outside_calls(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                target: ast.AST | None = None
                value: ast.expr | None = None
                if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                    target, value = statement.targets[0], statement.value
                elif isinstance(statement, ast.AnnAssign):
                    target, value = statement.target, statement.value
                text = _literal(value)
                if isinstance(target, ast.Name) and target.id in MSGID_CLASS_ATTRIBUTES and text and value:
                    yield value.lineno, text
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            names = {t.id for t in node.targets if isinstance(t, ast.Name)}
            if names & MSGID_DICTS:
                for item in node.value.values:
                    text = _literal(item)
                    if text and item is not None:
                        yield item.lineno, text
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if not isinstance(node.func.value, ast.Name):
                continue
            owner, method = node.func.value.id, node.func.attr
            argument: ast.expr | None = None
            if owner in MSGID_LISTS and method == "append" and node.args:
                argument = node.args[0]
            elif owner in MSGID_DICTS and method == "get" and len(node.args) == 2:
                argument = node.args[1]  # the fallback of titles.get(status, "Error")
            text = _literal(argument)
            if text and argument is not None:
                yield argument.lineno, text


def extract_python(fileobj: Any, keywords: Any, comment_tags: Collection[str], options: Any) -> Iterator[Any]:
    """Babel's Python extractor plus the msgids that are not call arguments (same extractor signature)."""
    source = fileobj.read()
    fileobj.seek(0)
    yield from babel_extract_python(fileobj, keywords, comment_tags, options)
    for lineno, text in _msgids_outside_calls(ast.parse(source)):
        yield lineno, None, text, []


def modules_with_catalogs() -> list[str]:
    return sorted(p.parent.name for p in PACKAGE_DIR.glob("*/locale") if p.is_dir())


def catalog_dir(module: str) -> Path:
    return PACKAGE_DIR / module / "locale"


def extract_catalog(module: str = "kernel") -> Catalog:
    """Every msgid of one module, with its source locations (paths relative to the repository)."""
    catalog = Catalog(project=PROJECT, version="1", locale=None, charset="utf-8", fuzzy=False)

    def add(path: Path, lineno: int, message: Any, comments: list[str], context: str | None) -> None:
        location = (path.relative_to(ROOT).as_posix(), lineno)
        catalog.add(message, None, [location], auto_comments=comments, context=context)

    module_dir = PACKAGE_DIR / module
    method_map: list[tuple[str, Any]] = [("**/templates/**.html", "jinja2"), ("**.py", extract_python)]
    options_map = {"**/templates/**.html": JINJA_OPTIONS}
    for filename, lineno, message, comments, context in extract_from_dir(
        module_dir, method_map, options_map, keywords=KEYWORDS, comment_tags=TAGS, strip_comment_tags=True
    ):
        add(module_dir / filename, lineno, message, comments, context)
    if module == "kernel":
        for name in KERNEL_EXTRA_FILES:
            path = PACKAGE_DIR / name
            found = extract_from_file(
                extract_python, path, keywords=KEYWORDS, comment_tags=TAGS, strip_comment_tags=True
            )
            for lineno, message, comments, context in found:
                add(path, lineno, message, comments, context)
    if module == CDSS_MODULE:
        for message, path, lineno, comments in cdss_messages():
            add(path, lineno, message, comments, None)
    return catalog


def cdss_messages() -> list[tuple[str, Path, int, list[str]]]:
    """The engine's alert msgids (`cdss.api.english_messages`) and the drug class names alerts fill in as their
    {group}, each located at the first line of a cdss data file or check that holds it; a msgid the engine builds
    (a dose message with its "estimated weight" suffix) is located at `english_messages` in cdss/api.py."""
    from cdss import api as cdss

    knowledge = cdss.load_knowledge()
    messages = cdss.english_messages(knowledge)
    class_names = {c.name for c in knowledge.classes.values()} | set(knowledge.duplicate_class_names)
    # An unnamed ATC group is called by its code ("ATC C08DB"), the same in every language.
    groups = sorted(name for name in class_names - set(messages) if not name.startswith("ATC "))
    sources = [(p, p.read_text(encoding="utf-8")) for pattern in CDSS_SOURCES for p in sorted(ROOT.glob(pattern))]
    api_path = ROOT / "cdss" / "api.py"
    api_lines = api_path.read_text(encoding="utf-8").splitlines()
    api_line = next((n for n, text in enumerate(api_lines, 1) if "def english_messages" in text), 1)
    found = []
    for message, comments in [*((m, []) for m in messages), *((g, [CLASS_COMMENT]) for g in groups)]:
        where = next(((path, text) for path, text in sources if message in text), None)
        if where is None:
            found.append((message, api_path, api_line, comments))
        else:
            found.append((message, where[0], where[1][: where[1].index(message)].count("\n") + 1, comments))
    return found


def placeholders(text: str) -> set[str]:
    """The {named} fields of a str.format message; raises ValueError on a malformed brace."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def po_path(module: str, locale: str) -> Path:
    return catalog_dir(module) / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path, locale: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _write(catalog: Catalog, path: Path) -> None:
    # Fixed header values: regenerating a catalog changes it only where a message changed.
    catalog.project, catalog.version = PROJECT, "1"
    catalog.copyright_holder = "the his-vn contributors"
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "the his-vn contributors"
    catalog.language_team = f"{catalog.locale} (his-vn)" if catalog.locale else ""
    catalog.creation_date = FIXED_DATE
    catalog.revision_date = FIXED_DATE
    catalog.fuzzy = False
    language = f"{catalog.locale.english_name} translations" if catalog.locale else "Translation template"
    catalog.header_comment = (
        f"# {language} of the his-vn hospital information system.\n"
        "# This file is distributed under the same license as the his-vn project (AGPL-3.0-or-later).\n"
        "# Regenerate with: python scripts/i18n.py extract && python scripts/i18n.py update"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(
            handle,
            catalog,
            width=0,
            sort_output=True,
            ignore_obsolete=True,
            omit_header=False,
            include_previous=False,
        )


def command_extract(module: str) -> int:
    catalog = extract_catalog(module)
    target = catalog_dir(module) / "messages.pot"
    _write(catalog, target)
    print(f"{target.relative_to(ROOT)}: {len(catalog)} messages")
    return 0


def command_update(module: str) -> int:
    template = extract_catalog(module)
    for locale in LOCALES:
        path = po_path(module, locale)
        if path.exists():
            catalog = read_catalog(path, locale)
        else:
            catalog = Catalog(locale=locale, project=PROJECT, version="1", charset="utf-8", fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        if locale == SOURCE_LOCALE:
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        _write(catalog, path)
        untranslated = sum(1 for m in catalog if m.id and not m.string)
        print(f"{path.relative_to(ROOT)}: {len(catalog)} messages, {untranslated} without a translation")
    return 0


def problems(module: str) -> tuple[list[str], list[str]]:
    """(errors, warnings) for one module's catalogs against its source."""
    template = extract_catalog(module)
    errors: list[str] = []
    warnings: list[str] = []
    for locale in LOCALES:
        path = po_path(module, locale)
        if not path.exists():
            errors.append(f"{path.relative_to(ROOT)} is missing")
            continue
        catalog = read_catalog(path, locale)
        name = path.relative_to(ROOT).as_posix()
        for message in template:
            if not message.id:
                continue
            where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
            found = catalog.get(message.id, message.context)
            if found is None or not found.string:
                errors.append(f"{name}: no translation for {message.id!r} ({where})")
                continue
            if found.fuzzy:
                errors.append(f"{name}: fuzzy translation for {message.id!r}")
            try:
                wanted, got = placeholders(str(message.id)), placeholders(str(found.string))
            except ValueError as broken:
                errors.append(f"{name}: malformed braces in {message.id!r}: {broken}")
                continue
            if wanted != got:
                errors.append(f"{name}: {message.id!r} has {sorted(wanted)}, its translation {sorted(got)}")
        stale = [m.id for m in catalog if m.id and template.get(m.id, m.context) is None]
        warnings.extend(f"{name}: not in the source any more: {msgid!r}" for msgid in stale)
    return errors, warnings


def command_check(module: str) -> int:
    errors, warnings = problems(module)
    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)
    for line in errors:
        print(f"error: {line}", file=sys.stderr)
    if not errors:
        print(f"{module}: every message is translated into {', '.join(LOCALES)}")
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("command", choices=("extract", "update", "check"))
    parser.add_argument("--module", action="append", help="a module under his/ (default: all with locale/)")
    args = parser.parse_args(argv)
    modules = args.module or modules_with_catalogs()
    commands = {"extract": command_extract, "update": command_update, "check": command_check}
    status = 0
    for module in modules:
        status |= commands[args.command](module)
    return status


if __name__ == "__main__":
    sys.exit(main())
