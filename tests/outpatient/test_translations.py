"""Every message of the outpatient module is translated; the doctor reads refusals in Vietnamese."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from his.app import installed_modules
from his.catalogs import rules as catalog_rules
from his.kernel.i18n import Translator
from his.outpatient import rules, service

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.criterion(33)


@pytest.fixture(scope="module")
def i18n() -> ModuleType:
    spec = importlib.util.spec_from_file_location("his_i18n_script_outpatient", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_outpatient_message_is_translated(i18n: ModuleType) -> None:
    errors, warnings = i18n.problems("outpatient")
    assert errors == [] and warnings == []
    ids = {m.id for m in i18n.extract_catalog("outpatient") if m.id}
    assert {rules.MSG_CHILD_WEIGHT, rules.MSG_VITAL_IMPOSSIBLE, "Sign the prescription", "Waiting"} <= ids


def test_the_catalogs_diagnosis_messages_shown_here_are_the_catalogs_own() -> None:
    assert set(service.CATALOG_DIAGNOSIS_MESSAGES) == {
        catalog_rules.MSG_SEX_FEMALE,
        catalog_rules.MSG_SEX_MALE,
        catalog_rules.MSG_AGE_RANGE,
        catalog_rules.MSG_AGE_MIN,
        catalog_rules.MSG_AGE_MAX,
        catalog_rules.MSG_NEVER_MAIN,
        catalog_rules.MSG_ASTERISK_MAIN,
    }


def test_a_refusal_reads_in_vietnamese() -> None:
    translator = Translator([m.package for m in installed_modules() if m.translations], "vi")
    text = translator.gettext("vi", catalog_rules.MSG_SEX_FEMALE, {"code": "N76.0"})
    assert text == "Mã N76.0 chỉ dùng cho người bệnh nữ"
    assert translator.gettext("vi", rules.MSG_CHILD_WEIGHT) == "Trẻ dưới 72 tháng tuổi: ghi cân nặng"
