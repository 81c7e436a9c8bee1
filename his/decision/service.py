"""Use cases of the decision module: the only code that writes its tables. Every change is audited in the
caller's transaction."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cdss import templates as cdss_templates
from his.decision import rules
from his.decision.models import (
    AlertEvent,
    AlertTemplate,
    Allergy,
    KnowledgeVersion,
    LocalRule,
    NoAllergyRecord,
    Review,
    ScreeningFinding,
    ScreeningRun,
    SyncCursor,
)
from his.decision.schemas import AllergyIn, DismissIn, LocalRuleIn, TemplateIn
from his.inpatient import api as inpatient
from his.inpatient.schemas import MedicationOrderOut, StayOut
from his.kernel.audit.service import AuditActor, AuditEntry, append_audit
from his.kernel.clock import Clock, local_date
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.i18n import lazy as _
from his.outpatient import api as outpatient
from his.outpatient.schemas import PrescriptionOut

if TYPE_CHECKING:
    from his.decision.engine import Engine, LocalInteraction

MAX_SCREENING_FINDINGS = 5000
SIGNED_CURSOR = "signed_prescriptions"
ORDERS_CURSOR = "inpatient_medication_orders"
# Alerts about the check itself (it ran without the hospital's data, or failed), not findings of a rule.
NOT_RULES = frozenset({"not_consulted", "check_failed"})


def _who(actor: AuditActor) -> str:
    return (actor.username or "system")[:64]


# ---------------------------------------------------------------- allergies


async def allergies_of(session: AsyncSession, patient_id: int) -> list[Allergy]:
    rows = await session.scalars(
        select(Allergy).where(Allergy.patient_id == patient_id, Allergy.active.is_(True)).order_by(Allergy.id)
    )
    return list(rows)


async def allergy_known(session: AsyncSession, patient_id: int) -> bool:
    """Whether anybody recorded this patient's allergies (some, or "no known allergy")."""
    if await session.get(NoAllergyRecord, patient_id) is not None:
        return True
    count = await session.scalar(select(func.count()).select_from(Allergy).where(Allergy.patient_id == patient_id))
    return bool(count)


async def allergy_names(session: AsyncSession, patient_id: int) -> list[str] | None:
    """The allergens the checks use; None when nobody asked (unknown is not "none")."""
    if not await allergy_known(session, patient_id):
        return None
    return [row.substance for row in await allergies_of(session, patient_id)]


async def add_allergy(
    session: AsyncSession, clock: Clock, actor: AuditActor, patient_id: int, data: AllergyIn
) -> Allergy:
    substance = " ".join(data.substance.split())
    if not substance:
        raise InvalidInput(_("Name the substance or class the patient is allergic to"), field="substance")
    for existing in await allergies_of(session, patient_id):
        if existing.substance.casefold() == substance.casefold():
            raise Conflict(_("{substance} is already recorded"), substance=substance)
    row = Allergy(
        patient_id=patient_id,
        substance=substance[:200],
        reaction=data.reaction.strip()[:300],
        severity=data.severity,
        recorded_by=_who(actor),
        recorded_at=clock.now(),
        active=True,
    )
    session.add(row)
    await session.flush()
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="allergy.add",
            object_type="allergy",
            object_id=str(row.id),
            patient_id=str(patient_id),
            detail=f"{row.substance}; {row.severity}; {row.reaction}"[:500],
        ),
    )
    return row


async def remove_allergy(
    session: AsyncSession, clock: Clock, actor: AuditActor, patient_id: int, allergy_id: int, reason: str
) -> Allergy:
    row = await session.get(Allergy, allergy_id)
    if row is None or row.patient_id != patient_id or not row.active:
        raise NotFound(_("No allergy {id}"), id=allergy_id)
    if not reason.strip():
        raise InvalidInput(rules.MSG_REASON_REQUIRED, field="reason")
    row.active = False
    row.removed_by = _who(actor)
    row.removed_at = clock.now()
    row.removed_reason = reason.strip()[:300]
    await session.flush()
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="allergy.remove",
            object_type="allergy",
            object_id=str(row.id),
            patient_id=str(patient_id),
            detail=f"{row.substance}; reason: {row.removed_reason}"[:500],
        ),
    )
    return row


async def record_no_known_allergy(session: AsyncSession, clock: Clock, actor: AuditActor, patient_id: int) -> None:
    if await allergies_of(session, patient_id):
        raise Conflict(_("Remove the recorded allergies first"))
    if await session.get(NoAllergyRecord, patient_id) is None:
        session.add(NoAllergyRecord(patient_id=patient_id, recorded_by=_who(actor), recorded_at=clock.now()))
        await session.flush()
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(action="allergy.none_known", object_type="allergy", object_id="-", patient_id=str(patient_id)),
    )


# ---------------------------------------------------------------- local rules and the knowledge version


def local_rule_id(row: LocalRule) -> str:
    return f"R{row.id}"


async def local_rules(session: AsyncSession, *, active_only: bool = False) -> list[LocalRule]:
    query = select(LocalRule).order_by(LocalRule.id)
    if active_only:
        query = query.where(LocalRule.active.is_(True))
    return list(await session.scalars(query))


async def local_interactions(session: AsyncSession) -> list[LocalInteraction]:
    """The active local rules as the engine takes them."""
    from his.decision.engine import LocalInteraction

    return [
        LocalInteraction(
            id=local_rule_id(row),
            first=row.first,
            second=row.second,
            tier=row.tier,  # type: ignore[arg-type]
            message=row.message,
            source=row.source or "local",
        )
        for row in await local_rules(session, active_only=True)
    ]


def _check_rule(data: LocalRuleIn) -> None:
    for field in ("first", "second", "message"):
        if not str(getattr(data, field)).strip():
            raise InvalidInput(_("This field is required"), field=field)
    if data.first.strip().casefold() == data.second.strip().casefold():
        raise InvalidInput(_("A rule is about two different substances or classes"), field="second")


async def record_knowledge_version(
    session: AsyncSession, clock: Clock, actor: AuditActor, engine: Engine, reason: str
) -> KnowledgeVersion:
    """Rebuilds the knowledge with the active local rules and records its version (when it changed)."""
    interactions = await local_interactions(session)
    version = engine.version(engine.knowledge(interactions))
    last = await current_knowledge_version(session)
    if last is not None and last.version == version:
        return last
    row = KnowledgeVersion(
        version=version[:128],
        local_rules=len(interactions),
        reason=reason[:300],
        recorded_by=_who(actor),
        recorded_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return row


async def current_knowledge_version(session: AsyncSession) -> KnowledgeVersion | None:
    row: KnowledgeVersion | None = await session.scalar(
        select(KnowledgeVersion).order_by(KnowledgeVersion.id.desc()).limit(1)
    )
    return row


async def create_local_rule(
    session: AsyncSession, clock: Clock, actor: AuditActor, engine: Engine, data: LocalRuleIn
) -> LocalRule:
    _check_rule(data)
    now = clock.now()
    row = LocalRule(
        first=data.first.strip()[:200],
        second=data.second.strip()[:200],
        tier=data.tier,
        message=data.message.strip()[:1000],
        source=(data.source.strip() or "local")[:300],
        active=True,
        created_by=_who(actor),
        created_at=now,
        updated_by=_who(actor),
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    await _audit_rule(session, clock, actor, row, "local_rule.create")
    await record_knowledge_version(session, clock, actor, engine, f"local rule {local_rule_id(row)} created")
    return row


async def update_local_rule(
    session: AsyncSession, clock: Clock, actor: AuditActor, engine: Engine, rule_id: int, data: LocalRuleIn
) -> LocalRule:
    _check_rule(data)
    row = await _rule(session, rule_id)
    row.first = data.first.strip()[:200]
    row.second = data.second.strip()[:200]
    row.tier = data.tier
    row.message = data.message.strip()[:1000]
    row.source = (data.source.strip() or "local")[:300]
    row.updated_by = _who(actor)
    row.updated_at = clock.now()
    await session.flush()
    await _audit_rule(session, clock, actor, row, "local_rule.edit")
    await record_knowledge_version(session, clock, actor, engine, f"local rule {local_rule_id(row)} edited")
    return row


async def set_local_rule_active(
    session: AsyncSession, clock: Clock, actor: AuditActor, engine: Engine, rule_id: int, active: bool
) -> LocalRule:
    row = await _rule(session, rule_id)
    row.active = active
    row.updated_by = _who(actor)
    row.updated_at = clock.now()
    await session.flush()
    action = "local_rule.activate" if active else "local_rule.deactivate"
    await _audit_rule(session, clock, actor, row, action)
    await record_knowledge_version(session, clock, actor, engine, f"{action} {local_rule_id(row)}")
    return row


async def _rule(session: AsyncSession, rule_id: int) -> LocalRule:
    row = await session.get(LocalRule, rule_id)
    if row is None:
        raise NotFound(_("No local rule {id}"), id=rule_id)
    return row


async def _audit_rule(session: AsyncSession, clock: Clock, actor: AuditActor, row: LocalRule, action: str) -> None:
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(
            action=action,
            object_type="local_rule",
            object_id=local_rule_id(row),
            detail=f"{row.first} + {row.second}: {row.tier}; {row.message}"[:500],
        ),
    )


# ---------------------------------------------------------------- alerts shown, overridden, dismissed


async def _insert_event(session: AsyncSession, event: AlertEvent) -> bool:
    """Inserts unless an event with the same dedupe key exists (concurrent writers included)."""
    if await session.scalar(select(AlertEvent.id).where(AlertEvent.dedupe_key == event.dedupe_key)):
        return False
    try:
        async with session.begin_nested():
            session.add(event)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def record_shown(
    session: AsyncSession,
    clock: Clock,
    actor: AuditActor,
    *,
    patient_id: int,
    encounter: str,
    alerts: Sequence[tuple[str, str, str, str, str, str]],
) -> int:
    """Stores alerts shown to the doctor (key, rule, severity, kind, message, source), once per encounter and
    alert however often the draft is re-checked. Returns how many were new."""
    new = 0
    for key, rule, severity, kind, message, source in alerts:
        event = AlertEvent(
            rule=rule[:200],
            alert_key=key[:200],
            kind=kind[:32],
            severity=severity,
            outcome="shown",
            patient_id=patient_id,
            encounter=encounter[:64],
            prescription_code=None,
            message=message[:1000],
            source=source[:300],
            username=_who(actor),
            reason="",
            at=clock.now(),
            dedupe_key=f"shown|{encounter}|{key}"[:400],
        )
        new += await _insert_event(session, event)
    return new


async def dismiss_alert(
    session: AsyncSession, clock: Clock, actor: AuditActor, *, patient_id: int, encounter: str, data: DismissIn
) -> AlertEvent:
    """The doctor saw a warning or information and chose to go on (hard stops are overridden at signing)."""
    if data.severity == "hard_stop":
        raise InvalidInput(_("A hard stop is overridden with a reason when signing"), field="severity")
    event = AlertEvent(
        rule=data.rule[:200],
        alert_key=data.key[:200],
        kind=data.kind[:32],
        severity=data.severity,
        outcome="dismissed",
        patient_id=patient_id,
        encounter=encounter[:64],
        prescription_code=None,
        message=data.message[:1000],
        source=data.source[:300],
        username=_who(actor),
        reason=data.reason.strip()[:500],
        at=clock.now(),
        dedupe_key=f"dismissed|{encounter}|{data.key}"[:400],
    )
    await _insert_event(session, event)
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="alert.dismiss",
            object_type="encounter",
            object_id=encounter[:64],
            patient_id=str(patient_id),
            detail=f"{data.source}: {data.key}; reason: {data.reason.strip()}"[:500],
        ),
    )
    return event


async def sync_signed_prescriptions(session: AsyncSession, clock: Clock, *, batch: int = 200) -> int:
    """Takes in the prescriptions signed since the last call: each overridden hard stop becomes an `overridden`
    alert event (and `shown`, for the statistics), and a prescription signed with overrides, or after warnings
    were shown in its examination, enters the pharmacist's review queue. Returns how many were read."""
    cursor = await _cursor(session, SIGNED_CURSOR)
    after = cursor.position
    read = 0
    while True:
        prescriptions = await outpatient.prescriptions_after(session, after_id=after, limit=batch)
        if not prescriptions:
            break
        for prescription in prescriptions:
            await _take_in(session, clock, prescription)
            after = prescription.id
        read += len(prescriptions)
    cursor.position = after
    await session.flush()
    return read + await _sync_medication_orders(session, batch)


async def _cursor(session: AsyncSession, name: str) -> SyncCursor:
    """The named cursor, locked; created at 0 the first time (concurrent creators tolerated)."""
    cursor = await session.get(SyncCursor, name, with_for_update=True)
    if cursor is None:
        try:
            async with session.begin_nested():
                session.add(SyncCursor(name=name, position=0))
                await session.flush()
        except IntegrityError:
            pass  # another worker created it a moment ago
        cursor = await session.get(SyncCursor, name, with_for_update=True, populate_existing=True)
        assert cursor is not None
    return cursor


async def _sync_medication_orders(session: AsyncSession, batch: int) -> int:
    """Takes in the inpatient medication orders written since the last call, like signed prescriptions: each
    overridden hard stop an `overridden` event, every alert seen a `shown` one, and an order written over alerts
    enters the review queue."""
    cursor = await _cursor(session, ORDERS_CURSOR)
    read = 0
    while True:
        orders = await inpatient.medication_orders_after(session, after_id=cursor.position, limit=batch)
        if not orders:
            break
        for order, stay in orders:
            await _take_in_order(session, order, stay)
            cursor.position = order.id
        read += len(orders)
    await session.flush()
    return read


async def _take_in_order(session: AsyncSession, order: MedicationOrderOut, stay: StayOut) -> None:
    code = f"{stay.code}/{order.id}"
    summary: list[str] = []
    for alert in order.alerts:
        if alert.kind in NOT_RULES:
            continue
        common = {
            "rule": rules.rule_of_key(alert.key)[:200],
            "alert_key": alert.key[:200],
            "kind": alert.kind[:32],
            "severity": alert.severity,
            "patient_id": order.patient_id,
            "encounter": stay.code[:64],
            "message": alert.message[:1000],
            "source": alert.source[:300],
            "username": order.ordered_by[:64],
            "at": order.ordered_at,
        }
        shown = AlertEvent(
            outcome="shown", prescription_code=None, reason="", dedupe_key=f"shown|{code}|{alert.key}"[:400], **common
        )
        await _insert_event(session, shown)
        if alert.severity == "hard_stop" and alert.override_reason:
            overridden = AlertEvent(
                outcome="overridden",
                prescription_code=code[:64],
                reason=alert.override_reason[:500],
                dedupe_key=f"overridden|{code}|{alert.key}"[:400],
                **common,
            )
            await _insert_event(session, overridden)
            summary.append(f"[{_severity_word('hard_stop')}] {alert.message} — {alert.override_reason}")
        elif alert.severity == "warning":
            summary.append(f"[{_severity_word('warning')}] {alert.message}")
    if not summary or await session.scalar(select(Review.id).where(Review.prescription_code == code)):
        return
    what = f"{order.drug_name}: {order.dose_per_time} {order.unit} x {order.times_per_day}, {order.route}"
    session.add(
        Review(
            prescription_code=code[:64],
            prescription_id=order.id,
            patient_id=order.patient_id,
            patient_name=stay.patient_name[:200],
            doctor=order.ordered_by_name[:200],
            signed_at=order.ordered_at,
            summary="\n".join([what, *summary]),
            status="pending",
            note="",
            source_url=f"/inpatient/stays/{stay.id}#medications",
        )
    )
    await session.flush()


async def _take_in(session: AsyncSession, clock: Clock, prescription: PrescriptionOut) -> None:
    if prescription.status != "issued":
        return
    summary: list[str] = []
    for override in prescription.overrides:
        rule = rules.rule_of_key(override.key)
        common = {
            "rule": rule[:200],
            "alert_key": override.key[:200],
            "kind": override.kind[:32],
            "severity": "hard_stop",
            "patient_id": prescription.patient_id,
            "encounter": prescription.visit_code[:64],
            "message": override.message[:1000],
            "source": override.source[:300],
            "username": override.overridden_by[:64],
            "at": override.overridden_at,
        }
        await _insert_event(
            session,
            AlertEvent(
                outcome="shown",
                prescription_code=None,
                reason="",
                dedupe_key=f"shown|{prescription.visit_code}|{override.key}"[:400],
                **common,
            ),
        )
        await _insert_event(
            session,
            AlertEvent(
                outcome="overridden",
                prescription_code=prescription.code,
                reason=override.reason[:500],
                dedupe_key=f"overridden|{prescription.code}|{override.key}"[:400],
                **common,
            ),
        )
        summary.append(f"[{_severity_word('hard_stop')}] {override.message} — {override.reason}")
    warnings = await session.scalars(
        select(AlertEvent)
        .where(
            AlertEvent.encounter == prescription.visit_code,
            AlertEvent.outcome.in_(("shown", "dismissed")),
            AlertEvent.severity == "warning",
            AlertEvent.at <= prescription.issued_at,
        )
        .order_by(AlertEvent.id)
    )
    seen: set[str] = set()
    for event in warnings:
        if event.alert_key in seen:
            continue
        seen.add(event.alert_key)
        note = f" — {event.reason}" if event.reason else ""
        summary.append(f"[{_severity_word('warning')}] {event.message}{note}")
    if not summary or await session.scalar(select(Review.id).where(Review.prescription_code == prescription.code)):
        return
    session.add(
        Review(
            prescription_code=prescription.code,
            prescription_id=prescription.id,
            patient_id=prescription.patient_id,
            patient_name=prescription.patient_name[:200],
            doctor=prescription.doctor_name[:200],
            signed_at=prescription.issued_at,
            summary="\n".join(summary),
            status="pending",
            note="",
        )
    )
    await session.flush()


def _severity_word(severity: str) -> str:
    return {"hard_stop": "STOP", "warning": "WARNING", "info": "INFO"}[severity]


async def rule_statistics(
    session: AsyncSession, *, since: datetime | None = None
) -> list[tuple[str, str, str, str, int, int, int]]:
    """(rule, severity, kind, message, fired, overridden, dismissed) per rule, most fired first."""
    query = select(AlertEvent).where(AlertEvent.outcome.in_(("shown", "overridden", "dismissed")))
    if since is not None:
        query = query.where(AlertEvent.at >= since)
    stats: dict[str, list[object]] = {}
    for event in await session.scalars(query.order_by(AlertEvent.id)):
        entry = stats.setdefault(event.rule, [event.severity, event.kind, event.message, 0, 0, 0])
        column = {"shown": 3, "overridden": 4, "dismissed": 5}[event.outcome]
        entry[column] = int(entry[column]) + 1  # type: ignore[call-overload]
    rows = [
        (rule, str(v[0]), str(v[1]), str(v[2]), int(v[3]), int(v[4]), int(v[5]))  # type: ignore[call-overload]
        for rule, v in stats.items()
    ]
    return sorted(rows, key=lambda row: (-row[4], row[0]))


# ---------------------------------------------------------------- the pharmacist's review queue


async def reviews(session: AsyncSession, *, status: str | None = "pending", limit: int = 200) -> list[Review]:
    query = select(Review).order_by(Review.signed_at.desc(), Review.id.desc()).limit(limit)
    if status:
        query = query.where(Review.status == status)
    return list(await session.scalars(query))


async def mark_reviewed(session: AsyncSession, clock: Clock, actor: AuditActor, review_id: int, note: str) -> Review:
    row = await session.get(Review, review_id)
    if row is None:
        raise NotFound(_("No review {id}"), id=review_id)
    if row.status == "reviewed":
        raise Conflict(_("This prescription was already reviewed"))
    row.status = "reviewed"
    row.reviewed_by = _who(actor)
    row.reviewed_at = clock.now()
    row.note = note.strip()[:1000]
    await session.flush()
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="prescription.review",
            object_type="prescription",
            object_id=row.prescription_code,
            patient_id=str(row.patient_id),
            detail=row.note[:500],
        ),
    )
    return row


# ---------------------------------------------------------------- alert templates (level 3)


def _decode(data: TemplateIn) -> tuple[cdss_templates.AlertTemplate, list[cdss_templates.TemplateCase]]:
    try:
        template = msgspec.convert(data.definition, cdss_templates.AlertTemplate)
        cases = msgspec.convert(data.cases, list[cdss_templates.TemplateCase])
    except msgspec.ValidationError as error:
        raise InvalidInput(_("The template is not valid: {problem}"), field="definition", problem=str(error)) from None
    return template, cases


def template_of(row: AlertTemplate) -> tuple[cdss_templates.AlertTemplate, list[cdss_templates.TemplateCase]]:
    return cdss_templates.decode_template(row.definition), cdss_templates.decode_cases(row.cases)


async def templates(session: AsyncSession, *, active_only: bool = False) -> list[AlertTemplate]:
    query = select(AlertTemplate).order_by(AlertTemplate.code)
    if active_only:
        query = query.where(AlertTemplate.status == "active")
    return list(await session.scalars(query))


async def save_template(session: AsyncSession, clock: Clock, actor: AuditActor, data: TemplateIn) -> AlertTemplate:
    """Creates or replaces a template by its code; a changed template goes back to draft (tested again before
    it is active)."""
    template, cases = _decode(data)
    problems = cdss_templates.template_problems(template)
    if problems:
        raise InvalidInput(_("The template is not valid: {problem}"), field="definition", problem="; ".join(problems))
    code = template.code.strip()
    row: AlertTemplate | None = await session.scalar(select(AlertTemplate).where(AlertTemplate.code == code))
    definition = msgspec.json.encode(template).decode()
    encoded_cases = msgspec.json.encode(cases).decode()
    if row is None:
        row = AlertTemplate(code=code[:40], definition=definition, cases=encoded_cases, status="draft")
        session.add(row)
    elif row.definition != definition or row.cases != encoded_cases:
        row.definition, row.cases, row.status = definition, encoded_cases, "draft"
    row.updated_by = _who(actor)
    row.updated_at = clock.now()
    await session.flush()
    await _audit_template(session, clock, actor, row, "template.save")
    return row


async def set_template_status(
    session: AsyncSession, clock: Clock, actor: AuditActor, code: str, *, active: bool
) -> AlertTemplate:
    row: AlertTemplate | None = await session.scalar(select(AlertTemplate).where(AlertTemplate.code == code))
    if row is None:
        raise NotFound(_("No alert template {code}"), code=code)
    if active:
        template, cases = template_of(row)
        problems = cdss_templates.activation_problems(template, cases)
        if problems:
            raise Conflict(_("The template fails its tests: {problems}"), problems="; ".join(problems))
    row.status = "active" if active else "inactive"
    row.updated_by = _who(actor)
    row.updated_at = clock.now()
    await session.flush()
    await _audit_template(session, clock, actor, row, "template.activate" if active else "template.deactivate")
    return row


async def _audit_template(
    session: AsyncSession, clock: Clock, actor: AuditActor, row: AlertTemplate, action: str
) -> None:
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(action=action, object_type="alert_template", object_id=row.code, detail=row.status),
    )


# ---------------------------------------------------------------- whole-hospital screening


async def run_screening(
    session: AsyncSession, clock: Clock, actor: AuditActor, engine: Engine, *, trigger: str
) -> ScreeningRun:
    """Screens every patient's active medication list (outpatient prescriptions still running and inpatient
    medication orders) with the current knowledge and stores the run and what it found."""
    from his.decision.engine import Drug

    started = clock.now()
    watch = time.perf_counter()
    knowledge = engine.knowledge(await local_interactions(session))
    today = local_date(started)
    lists = await outpatient.active_drugs_of_everyone(session, on=today)
    for patient_id, orders in (await inpatient.active_medications_of_everyone(session, on=today)).items():
        lists.setdefault(patient_id, []).extend(orders)
    patient_ids = sorted(lists)
    medication = [
        [Drug(substances=[rules.substance_name(s) for s in drug.substances], name=drug.drug_name) for drug in lists[p]]
        for p in patient_ids
    ]
    results = engine.screen(knowledge, medication)
    duration_ms = round((time.perf_counter() - watch) * 1000)
    run = ScreeningRun(
        started_at=started,
        duration_ms=duration_ms,
        knowledge_version=engine.version(knowledge)[:128],
        trigger=trigger[:32],
        started_by=_who(actor),
        patients=len(patient_ids),
        drugs=sum(len(m) for m in medication),
        findings=sum(len(r) for r in results),
        hard_stops=sum(1 for r in results for alert in r if alert.severity == "hard_stop"),
    )
    session.add(run)
    await session.flush()
    stored = 0
    for patient_id, alerts in zip(patient_ids, results, strict=True):
        drugs = lists[patient_id]
        for alert in alerts:
            if stored >= MAX_SCREENING_FINDINGS:
                break
            involved = [drugs[i] for i in alert.drugs if 0 <= i < len(drugs)]
            session.add(
                ScreeningFinding(
                    run_id=run.id,
                    patient_id=patient_id,
                    severity=alert.severity,
                    kind=alert.kind,
                    rule=alert.rule[:200],
                    substances=" + ".join(alert.substances)[:500],
                    drugs="; ".join(f"{d.drug_name} ({d.prescription_code})" for d in involved)[:1000],
                    message=alert.text()[:1000],
                    source=alert.source[:300],
                )
            )
            stored += 1
    await session.flush()
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="screening.run",
            object_type="screening",
            object_id=str(run.id),
            detail=f"{trigger}; knowledge {run.knowledge_version[:16]}; {run.patients} patients; "
            f"{run.findings} findings; {duration_ms} ms",
        ),
    )
    return run


async def last_screening(session: AsyncSession) -> tuple[ScreeningRun | None, list[ScreeningFinding]]:
    run: ScreeningRun | None = await session.scalar(select(ScreeningRun).order_by(ScreeningRun.id.desc()).limit(1))
    if run is None:
        return None, []
    order = {"hard_stop": 0, "warning": 1, "info": 2}
    findings = list(await session.scalars(select(ScreeningFinding).where(ScreeningFinding.run_id == run.id)))
    findings.sort(key=lambda f: (order.get(f.severity, 3), f.patient_id, f.rule))
    return run, findings


async def screening_runs(session: AsyncSession, limit: int = 20) -> list[ScreeningRun]:
    return list(await session.scalars(select(ScreeningRun).order_by(ScreeningRun.id.desc()).limit(limit)))
