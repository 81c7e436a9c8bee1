"""Every English msgid of the catalogs module has a Vietnamese translation that keeps its {placeholders}."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from his.kernel.i18n import Translator

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.criterion(31)


@pytest.fixture(scope="module")
def i18n() -> ModuleType:
    spec = importlib.util.spec_from_file_location("his_i18n_script", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_catalogs_message_is_translated(i18n: ModuleType) -> None:
    errors, warnings = i18n.problems("catalogs")
    assert errors == []
    assert warnings == []
    ids = {m.id for m in i18n.extract_catalog("catalogs") if m.id}
    assert {
        "Catalogs",
        "ICD-10 diagnoses",
        "Write a whole number without separators, e.g. 150000",
        "There is no catalog called {kind}; the catalogs are: {kinds}",
        "Female only",
    } <= ids


def test_vietnamese_is_the_default() -> None:
    translator = Translator(["his.kernel", "his.catalogs"])
    assert translator.gettext("vi", "Drugs") == "Thuốc"
    assert translator.gettext("en", "Drugs") == "Drugs"
    assert translator.gettext(translator.default_locale, "Medical supplies") == "Vật tư y tế"
