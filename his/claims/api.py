"""The claims module's public face: the BHYT claims export of finished visits (criterion 36).

A glue module after reception, outpatient, pharmacy, billing and bhyt: it owns no table, it reads their api.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from his.bhyt.api import SigningCredentials
from his.claims import service
from his.claims.schemas import ExportReport, RefusedClaim, SkippedVisit, WrittenClaim
from his.kernel.audit.service import AuditActor
from his.kernel.runtime import Kernel

__all__ = ["export_claims", "export_stay"]


async def export_claims(
    kernel: Kernel,
    *,
    date_from: date,
    date_to: date,
    out_dir: Path,
    credentials: SigningCredentials,
    actor: AuditActor,
    progress: service.Progress | None = None,
) -> ExportReport:
    """One signed QĐ 130 file `<MA_LK>.xml` in `out_dir` for each finished visit whose ticket day is in
    [date_from, date_to] and that BHYT pays for; each visit's billing account is synced first.

    A claim that would not validate is refused, with every reason (table, field, line) in the report, and no file
    is written for it; a visit without a card is skipped. Audited per file ("claims.export") and per refusal
    ("claims.refuse"), with the patient. Each visit runs in its own transaction."""
    return await service.export_claims(
        kernel,
        date_from=date_from,
        date_to=date_to,
        out_dir=out_dir,
        credentials=credentials,
        actor=actor,
        progress=progress,
    )


async def export_stay(
    kernel: Kernel, *, stay_code: str, out_dir: Path, credentials: SigningCredentials, actor: AuditActor
) -> WrittenClaim | RefusedClaim | SkippedVisit:
    """The inpatient claim of one discharged stay (MA_LOAI_KCB 03: XML1, XML2, XML3 with the bed days, XML5 from
    the treatment sheet, XML7 the discharge paper), signed into `out_dir/<MA_LK>.xml`; refused with every reason
    when it would not validate, skipped when no BHYT card pays. Audited like export_claims."""
    return await service.export_stay(kernel, stay_code=stay_code, out_dir=out_dir, credentials=credentials, actor=actor)
