"""Every English msgid of the patients module has a Vietnamese translation that keeps its {placeholders}."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from his.kernel.i18n import Translator

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.criterion(32)


@pytest.fixture(scope="module")
def i18n() -> ModuleType:
    spec = importlib.util.spec_from_file_location("his_i18n_script_patients", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_patients_message_is_translated(i18n: ModuleType) -> None:
    errors, warnings = i18n.problems("patients")
    assert errors == [] and warnings == []
    ids = {m.id for m in i18n.extract_catalog("patients") if m.id}
    assert {"Patients", "A CCCD number has exactly 12 digits", "Merge duplicate patient records"} <= ids


def test_card_problems_read_in_vietnamese() -> None:
    translator = Translator(["his.kernel", "his.patients"], "vi")
    text = translator.gettext(
        "vi", "The CCCD number encodes the year of birth {encoded}, not {stated}", {"encoded": 1905, "stated": 2005}
    )
    assert text == "Số CCCD ứng với năm sinh 1905, không phải 2005"
