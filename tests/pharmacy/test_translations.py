"""Every English msgid of the pharmacy module has a Vietnamese translation that keeps its {placeholders}."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from his.kernel.i18n import Translator

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.criterion(34)


def test_every_pharmacy_message_is_translated() -> None:
    spec = importlib.util.spec_from_file_location("his_i18n_script", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    errors, warnings = module.problems("pharmacy")
    assert (errors, warnings) == ([], [])
    ids = {m.id for m in module.extract_catalog("pharmacy") if m.id}
    assert "Insufficient stock of {drug}: {requested} requested, {usable} can be dispensed, {shortfall} short" in ids


def test_the_insufficient_stock_message_reads_in_vietnamese() -> None:
    translator = Translator(["his.kernel", "his.pharmacy"])
    message = "Insufficient stock of {drug}: {requested} requested, {usable} can be dispensed, {shortfall} short"
    params = {"drug": "T0001", "requested": 16, "usable": 15, "shortfall": 1}
    assert translator.gettext("vi", message, params) == "Không đủ tồn kho T0001: yêu cầu 16, có thể cấp 15, thiếu 1"
    assert translator.gettext("vi", "Pharmacy") == "Dược"
