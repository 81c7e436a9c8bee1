"""Shapes of the claims export: what `his.claims.api.export_claims` answers (msgspec Structs)."""

from __future__ import annotations

from datetime import date

import msgspec


class Refusal(msgspec.Struct, frozen=True, kw_only=True):
    """One reason a visit's claim would not validate: the table and field (and line) of the claim, and why.

    `msgid` is an English gettext msgid whose {placeholders} are keys of `params` (translated by the caller)."""

    table: str
    field: str
    msgid: str
    params: dict[str, str] = {}
    line: int | None = None  # 1-based record number in XML2, XML3...

    def message(self) -> str:
        return self.msgid.format(**self.params) if self.params else self.msgid

    def label(self) -> str:
        where = f" (line {self.line})" if self.line is not None else ""
        return f"{self.table} / {self.field}{where}"


class WrittenClaim(msgspec.Struct, frozen=True, kw_only=True):
    visit_code: str  # MA_LK
    patient_id: int
    file: str  # the signed envelope, <MA_LK>.xml


class RefusedClaim(msgspec.Struct, frozen=True, kw_only=True):
    visit_code: str
    patient_id: int
    refusals: list[Refusal]


class SkippedVisit(msgspec.Struct, frozen=True, kw_only=True):
    visit_code: str
    patient_id: int
    reason: str  # English msgid, no parameters


class ExportReport(msgspec.Struct, frozen=True, kw_only=True):
    date_from: date
    date_to: date
    out_dir: str
    written: list[WrittenClaim]
    refused: list[RefusedClaim]
    skipped: list[SkippedVisit]  # finished visits that are no BHYT claim (no card)
