"""Every English msgid of the kernel has a Vietnamese translation that keeps its {placeholders}."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from litestar import Litestar
from litestar.testing import TestClient

from his.kernel.i18n import Translator

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def i18n() -> ModuleType:
    """scripts/i18n.py (not a package): Babel's extractors run in-process, nothing is fetched."""
    spec = importlib.util.spec_from_file_location("his_i18n_script", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def template(i18n: ModuleType) -> Catalog:
    catalog: Catalog = i18n.extract_catalog("kernel")
    return catalog


def _catalog(i18n: ModuleType, locale: str) -> Catalog:
    catalog: Catalog = i18n.read_catalog(i18n.po_path("kernel", locale), locale)
    return catalog


def test_extraction_finds_messages_of_every_kind(template: Catalog) -> None:
    ids = {m.id for m in template if m.id}
    expected = {
        "Sign in",  # a template _() call
        "Welcome, {name}",  # a template _() call with a parameter
        "The user name {username} is already taken",  # Conflict(...)
        "Please sign in",  # AuthenticationRequired(...)
        "You do not have permission to do this",  # PermissionDenied(...)
        "Too many requests; try again in {seconds} seconds",  # TooManyRequests(...)
        "Forbidden",  # a DomainError title
        "There is nothing at this address",  # problems.py detail table
        "The request could not be served",  # problems.py fallback
        "The password must have at least {min_length} characters",  # password policy
        "Read the audit history",  # a permission description
        "Audit history",  # a navigation label
        "Doctor",  # a role label
    }
    assert expected <= ids
    assert len(ids) > 150


def test_every_msgid_has_a_vietnamese_translation(i18n: ModuleType, template: Catalog) -> None:
    vi = _catalog(i18n, "vi")
    missing = [m.id for m in template if m.id and not (vi.get(m.id) and vi.get(m.id).string)]
    assert missing == [], "run `python scripts/i18n.py update` and translate these"
    same_as_english = [m.id for m in template if m.id and vi.get(m.id).string == m.id]
    assert set(same_as_english) <= {"Logo"}, same_as_english


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_translations_keep_the_placeholders(i18n: ModuleType, template: Catalog, locale: str) -> None:
    catalog = _catalog(i18n, locale)
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        assert found is not None and found.string, message.id
        assert i18n.placeholders(found.string) == i18n.placeholders(message.id), (message.id, found.string)
        assert not found.fuzzy, message.id


def test_the_check_command_agrees(i18n: ModuleType) -> None:
    errors, _warnings = i18n.problems("kernel")
    assert errors == []


def test_the_translator_reads_the_catalogs() -> None:
    translator = Translator(["his.kernel"])
    assert translator.gettext("vi", "Sign in") == "Đăng nhập"
    assert translator.gettext("vi", "User name") == "Tên đăng nhập"
    assert translator.gettext("vi", "Facility code") == "Mã cơ sở KCB"
    assert translator.gettext("vi", "Welcome, {name}", {"name": "An"}) == "Xin chào, An"
    assert translator.gettext("en", "Welcome, {name}", {"name": "An"}) == "Welcome, An"


def test_the_login_page_is_vietnamese_by_default_and_english_on_request(client: TestClient[Litestar]) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert '<html lang="vi"' in page.text and "Đăng nhập" in page.text and "Tên đăng nhập" in page.text
    switched = client.get("/lang/en", params={"next": "/login"})
    assert switched.status_code == 200 and str(switched.url).endswith("/login")
    assert '<html lang="en"' in switched.text and "Sign in" in switched.text and "Đăng nhập" not in switched.text
    assert "User name" in client.get("/login").text  # the choice is remembered
    back = client.get("/lang/vi", params={"next": "/login"})
    assert "Đăng nhập" in back.text
