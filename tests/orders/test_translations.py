"""Every message of the orders module is translated; the laboratory reads refusals in Vietnamese."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from his.app import installed_modules
from his.kernel.i18n import Translator
from his.orders import rules

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def i18n() -> ModuleType:
    spec = importlib.util.spec_from_file_location("his_i18n_script_orders", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_orders_message_is_translated(i18n: ModuleType) -> None:
    errors, warnings = i18n.problems("orders")
    assert errors == [] and warnings == []
    ids = {m.id for m in i18n.extract_catalog("orders") if m.id}
    assert {rules.MSG_TRANSITION, rules.MSG_REASON, "Orders and results", "Acknowledge"} <= ids


def test_flags_and_refusals_read_in_vietnamese() -> None:
    translator = Translator([m.package for m in installed_modules() if m.translations], "vi")
    assert translator.gettext("vi", rules.FLAG_LABELS["HH"]) == "Cao nguy hiểm"
    assert translator.gettext("vi", rules.MSG_REASON) == "Hãy ghi lý do từ 3 đến 300 ký tự"
    # The examination page's link label is this module's message.
    assert translator.gettext("vi", "Orders and results") == "Chỉ định và kết quả"
