"""Decision support over HTTP: the JSON API under /api/v1/decision, the CDS Hooks services, the pharmacy's
pages (local rules, templates, statistics, review queue, screening) and the fragments of the prescribing screen.
Thin: the rules live in rules.py, service.py, api.py and the pure `cdss` package."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import msgspec
from litestar import Litestar, Request, Response, Router, get, post, put
from litestar.datastructures import FormMultiDict
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from his.decision import api, rules, service
from his.decision.models import AlertTemplate, Allergy, LocalRule, Review, ScreeningFinding, ScreeningRun
from his.decision.schemas import (
    AlertOut,
    AllergyIn,
    AllergyList,
    AllergyOut,
    CdsCard,
    CdsDiscovery,
    CdsRequest,
    CdsResponse,
    CdsService,
    CdsSource,
    CheckLineIn,
    DismissIn,
    KnowledgeOut,
    LocalRuleIn,
    LocalRuleOut,
    RemoveIn,
    ReviewIn,
    ReviewOut,
    RuleStat,
    ScreeningFindingOut,
    ScreeningOut,
    ScreeningRunOut,
    TemplateIn,
    TemplateOut,
)
from his.decision.state import DecisionState
from his.kernel.audit.service import AuditEntry
from his.kernel.clock import local_date
from his.kernel.errors import DomainError, InvalidInput
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.kernel.web.context import RequestContext, context_of
from his.kernel.web.guard import public, requires
from his.kernel.web.render import render_fragment, render_page
from his.outpatient import api as outpatient
from his.outpatient.checks import CheckAlert, PrescriptionDraft
from his.reception import api as reception

ALERTS = requires("decision.alerts")
RULES = requires("decision.rules")
REVIEW = requires("decision.review")
STATS = requires("decision.stats")
CDS_HOOKS = requires("decision.cds_hooks")
ALLERGY_READ = requires("decision.allergy.read", reads_patient="patient_id")
ALLERGY_WRITE = requires("decision.allergy.write")
MAX_LINES = 60
CDS_SERVICES = {
    "his-medication-select": ("order-select", "Medication safety while choosing"),
    "his-medication-sign": ("order-sign", "Medication safety before signing"),
}
INDICATORS = {"hard_stop": "critical", "warning": "warning", "info": "info"}


class BadRequest(DomainError):
    status_code = 400
    title = "Bad request"


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


def _state(request: Request[Any, Any, Any]) -> DecisionState:
    return api.state_of(_kernel(request))


def _t(kernel: Kernel, ctx: RequestContext, message: str, params: dict[str, Any] | None = None) -> str:
    return kernel.translator.gettext(ctx.locale, message, params or None)


# ---------------------------------------------------------------- shapes


def allergy_out(row: Allergy) -> AllergyOut:
    return AllergyOut(
        row.id, row.patient_id, row.substance, row.reaction, row.severity, row.recorded_by, row.recorded_at
    )


def rule_out(row: LocalRule) -> LocalRuleOut:
    return LocalRuleOut(
        id=row.id,
        rule=f"local:{service.local_rule_id(row)}",
        first=row.first,
        second=row.second,
        tier=row.tier,
        message=row.message,
        source=row.source,
        active=row.active,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def review_out(row: Review) -> ReviewOut:
    return ReviewOut(
        id=row.id,
        prescription_code=row.prescription_code,
        prescription_id=row.prescription_id,
        patient_id=row.patient_id,
        patient_name=row.patient_name,
        doctor=row.doctor,
        signed_at=row.signed_at,
        summary=row.summary,
        status=row.status,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        note=row.note,
        source_url=row.source_url,
    )


def template_out(row: AlertTemplate) -> TemplateOut:
    from cdss import templates as cdss_templates

    template, cases = service.template_of(row)
    return TemplateOut(
        id=row.id,
        code=row.code,
        name=template.name,
        status=row.status,
        definition=msgspec.to_builtins(template),
        cases=msgspec.to_builtins(cases),
        problems=cdss_templates.activation_problems(template, cases),
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def run_out(row: ScreeningRun) -> ScreeningRunOut:
    return ScreeningRunOut(
        id=row.id,
        started_at=row.started_at,
        duration_ms=row.duration_ms,
        knowledge_version=row.knowledge_version,
        trigger=row.trigger,
        started_by=row.started_by,
        patients=row.patients,
        drugs=row.drugs,
        findings=row.findings,
        hard_stops=row.hard_stops,
    )


def finding_out(row: ScreeningFinding, localize: Callable[[str], str] = str) -> ScreeningFindingOut:
    return ScreeningFindingOut(
        row.patient_id, row.severity, row.kind, row.rule, row.substances, row.drugs, localize(row.message), row.source
    )


def _stats(
    rows: Sequence[tuple[str, str, str, str, int, int, int]], localize: Callable[[str], str] = str
) -> list[RuleStat]:
    return [
        RuleStat(
            rule,
            severity,
            kind,
            localize(message),
            fired,
            overridden,
            dismissed,
            rules.override_rate(fired, overridden),
        )
        for rule, severity, kind, message, fired, overridden, dismissed in rows
    ]


def _localizer(request: Request[Any, Any, Any]) -> Callable[[str], str]:
    """Translates an alert kept as text (the engine's English filled in, a msgid, or text already in a language)
    into the reader's language."""
    kernel, ctx, engine = _kernel(request), context_of(request), _state(request).engine

    def localize(text: str) -> str:
        msgid, params = engine.msgid_of(text)
        return api.translate_alert(kernel, ctx.locale, msgid, params)

    return localize


# ---------------------------------------------------------------- allergies (JSON)


async def _allergy_list(session: AsyncSession, patient_id: int) -> AllergyList:
    rows = await service.allergies_of(session, patient_id)
    return AllergyList(patient_id, await service.allergy_known(session, patient_id), [allergy_out(r) for r in rows])


@get("/patients/{patient_id:int}/allergies", opt=ALLERGY_READ, summary="A patient's recorded allergies")
async def api_allergies(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> AllergyList:
    async with _kernel(request).db.transaction() as session:
        return await _allergy_list(session, patient_id)


@post("/patients/{patient_id:int}/allergies", opt=ALLERGY_WRITE, status_code=201, summary="Record an allergy")
async def api_add_allergy(
    request: Request[Any, Any, Any], patient_id: FromPath[int], data: JSONBody[AllergyIn]
) -> AllergyOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.add_allergy(session, kernel.clock, context_of(request).audit_actor(), patient_id, data)
        return allergy_out(row)


@post(
    "/patients/{patient_id:int}/allergies/none-known",
    opt=ALLERGY_WRITE,
    status_code=200,
    summary="Record that the patient has no known allergy",
)
async def api_no_known_allergy(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> AllergyList:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        await service.record_no_known_allergy(session, kernel.clock, context_of(request).audit_actor(), patient_id)
        return await _allergy_list(session, patient_id)


@post(
    "/patients/{patient_id:int}/allergies/{allergy_id:int}/remove",
    opt=ALLERGY_WRITE,
    status_code=200,
    summary="Remove a recorded allergy, with the reason",
)
async def api_remove_allergy(
    request: Request[Any, Any, Any], patient_id: FromPath[int], allergy_id: FromPath[int], data: JSONBody[RemoveIn]
) -> AllergyList:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        await service.remove_allergy(
            session, kernel.clock, context_of(request).audit_actor(), patient_id, allergy_id, data.reason
        )
        return await _allergy_list(session, patient_id)


# ---------------------------------------------------------------- local rules, knowledge (JSON)


async def _rerun_screening(request: Request[Any, Any, Any]) -> None:
    """The knowledge changed: screen the hospital again (its own transaction, after the change committed)."""
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        await service.run_screening(
            session,
            kernel.clock,
            context_of(request).audit_actor(),
            _state(request).engine,
            trigger="knowledge_changed",
        )


@get("/local-rules", opt=RULES, summary="The hospital's local interaction rules")
async def api_local_rules(request: Request[Any, Any, Any]) -> list[LocalRuleOut]:
    async with _kernel(request).db.transaction() as session:
        return [rule_out(r) for r in await service.local_rules(session)]


@post("/local-rules", opt=RULES, status_code=201, summary="Add a local rule (the knowledge is rebuilt)")
async def api_create_rule(request: Request[Any, Any, Any], data: JSONBody[LocalRuleIn]) -> LocalRuleOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.create_local_rule(
            session, kernel.clock, context_of(request).audit_actor(), _state(request).engine, data
        )
        out = rule_out(row)
    await _rerun_screening(request)
    return out


@put("/local-rules/{rule_id:int}", opt=RULES, summary="Edit a local rule (the knowledge is rebuilt)")
async def api_update_rule(
    request: Request[Any, Any, Any], rule_id: FromPath[int], data: JSONBody[LocalRuleIn]
) -> LocalRuleOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.update_local_rule(
            session, kernel.clock, context_of(request).audit_actor(), _state(request).engine, rule_id, data
        )
        out = rule_out(row)
    await _rerun_screening(request)
    return out


async def _set_active(request: Request[Any, Any, Any], rule_id: int, active: bool) -> LocalRuleOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.set_local_rule_active(
            session, kernel.clock, context_of(request).audit_actor(), _state(request).engine, rule_id, active
        )
        out = rule_out(row)
    await _rerun_screening(request)
    return out


@post("/local-rules/{rule_id:int}/deactivate", opt=RULES, status_code=200, summary="Deactivate a local rule")
async def api_deactivate_rule(request: Request[Any, Any, Any], rule_id: FromPath[int]) -> LocalRuleOut:
    return await _set_active(request, rule_id, False)


@post("/local-rules/{rule_id:int}/activate", opt=RULES, status_code=200, summary="Activate a local rule again")
async def api_activate_rule(request: Request[Any, Any, Any], rule_id: FromPath[int]) -> LocalRuleOut:
    return await _set_active(request, rule_id, True)


async def _knowledge(request: Request[Any, Any, Any]) -> KnowledgeOut:
    from his.catalogs import api as catalogs

    kernel = _kernel(request)
    engine = _state(request).engine
    async with kernel.db.transaction() as session:
        interactions = await service.local_interactions(session)
        recorded = await service.current_knowledge_version(session)
        page = await catalogs.search(session, kind="drugs", as_of=local_date(kernel.clock.now()), limit=200)
    knowledge = engine.knowledge(interactions)
    names = sorted({s.substance for item in page.items for s in getattr(item, "substances", [])})
    return KnowledgeOut(
        version=engine.version(knowledge),
        local_rules=len(interactions),
        recorded_at=recorded.recorded_at if recorded is not None else None,
        unmapped=engine.unmapped(knowledge, names),
    )


@get("/knowledge", opt=RULES, summary="The knowledge version in use, and catalog substances it cannot map")
async def api_knowledge(request: Request[Any, Any, Any]) -> KnowledgeOut:
    return await _knowledge(request)


# ---------------------------------------------------------------- statistics, review queue (JSON)


async def _synced(request: Request[Any, Any, Any]) -> None:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        await service.sync_signed_prescriptions(session, kernel.clock)


@get("/statistics", opt=STATS, summary="Per rule: alerts fired, overridden, dismissed, override rate")
async def api_statistics(
    request: Request[Any, Any, Any], days: Annotated[int, QueryParameter(ge=1, le=3660)] = 90
) -> list[RuleStat]:
    kernel = _kernel(request)
    await _synced(request)
    async with kernel.db.transaction() as session:
        rows = await service.rule_statistics(session, since=kernel.clock.now() - timedelta(days=days))
    return _stats(rows, _localizer(request))


@get("/reviews", opt=REVIEW, summary="Prescriptions signed over hard stops or warnings")
async def api_reviews(
    request: Request[Any, Any, Any], status: Annotated[str | None, QueryParameter(max_length=16)] = "pending"
) -> list[ReviewOut]:
    await _synced(request)
    async with _kernel(request).db.transaction() as session:
        return [review_out(r) for r in await service.reviews(session, status=status or None)]


@post("/reviews/{review_id:int}/done", opt=REVIEW, status_code=200, summary="Mark a prescription reviewed")
async def api_review_done(
    request: Request[Any, Any, Any], review_id: FromPath[int], data: JSONBody[ReviewIn]
) -> ReviewOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.mark_reviewed(
            session, kernel.clock, context_of(request).audit_actor(), review_id, data.note
        )
        return review_out(row)


# ---------------------------------------------------------------- templates (JSON)


@get("/templates", opt=RULES, summary="The hospital's alert templates")
async def api_templates(request: Request[Any, Any, Any]) -> list[TemplateOut]:
    async with _kernel(request).db.transaction() as session:
        return [template_out(r) for r in await service.templates(session)]


@post("/templates", opt=RULES, status_code=200, summary="Create or replace a template (back to draft)")
async def api_save_template(request: Request[Any, Any, Any], data: JSONBody[TemplateIn]) -> TemplateOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.save_template(session, kernel.clock, context_of(request).audit_actor(), data)
        return template_out(row)


@post(
    "/templates/{code:str}/activate",
    opt=RULES,
    status_code=200,
    summary="Activate a template; 409 when one of its test cases fails",
)
async def api_activate_template(request: Request[Any, Any, Any], code: FromPath[str]) -> TemplateOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.set_template_status(
            session, kernel.clock, context_of(request).audit_actor(), code, active=True
        )
        return template_out(row)


@post("/templates/{code:str}/deactivate", opt=RULES, status_code=200, summary="Deactivate a template")
async def api_deactivate_template(request: Request[Any, Any, Any], code: FromPath[str]) -> TemplateOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.set_template_status(
            session, kernel.clock, context_of(request).audit_actor(), code, active=False
        )
        return template_out(row)


# ---------------------------------------------------------------- screening (JSON)


@post("/screening", opt=STATS, status_code=201, summary="Screen every patient's active medication list now")
async def api_run_screening(request: Request[Any, Any, Any]) -> ScreeningRunOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        run = await service.run_screening(
            session, kernel.clock, context_of(request).audit_actor(), _state(request).engine, trigger="manual"
        )
        return run_out(run)


@get("/screening", opt=STATS, summary="The last screening run and its findings")
async def api_screening(request: Request[Any, Any, Any]) -> ScreeningOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        run, findings = await service.last_screening(session)
        await kernel.audit(
            context_of(request).audit_actor(),
            AuditEntry(
                action="screening.read",
                object_type="screening",
                object_id=str(run.id if run else "-"),
                detail="patients " + ",".join(sorted({str(f.patient_id) for f in findings}))[:400],
            ),
            session,
        )
    localize = _localizer(request)
    return ScreeningOut(run_out(run) if run else None, [finding_out(f, localize) for f in findings])


# ---------------------------------------------------------------- checking a draft


def _number(text: str, default: Decimal = Decimal(0)) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return default
    return value if value.is_finite() and value >= 0 else default


def _whole(text: str) -> int:
    number = _number(text)
    return int(number) if number == number.to_integral_value() and number < 1000 else 0


async def _checked(
    request: Request[Any, Any, Any], visit_id: int, lines: Sequence[tuple[str, Decimal, int, int]]
) -> tuple[PrescriptionDraft, list[CheckAlert], str]:
    """Checks the lines as a draft of this visit, records the alerts as shown, audits the read."""
    kernel = _kernel(request)
    ctx = context_of(request)
    state = _state(request)
    if len(lines) > MAX_LINES:
        raise InvalidInput(_("Too many lines"), field="lines")
    async with kernel.db.transaction() as session:
        visit = await reception.get_visit(session, visit_id=visit_id)
        draft = await outpatient.draft_for(session, kernel.clock, visit_id=visit_id, lines=lines)
        alerts = await api.check_draft(session, state.engine, draft)  # English text: kept as the engine says
        await service.record_shown(
            session,
            kernel.clock,
            ctx.audit_actor(),
            patient_id=visit.patient_id,
            encounter=visit.code,
            alerts=[(a.ref, rules.rule_of_key(a.ref), a.severity, a.kind, a.message, a.source) for a in alerts],
        )
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(
                action="prescription.check",
                object_type="encounter",
                object_id=visit.code,
                patient_id=str(visit.patient_id),
                detail=(f"{len(draft.lines)} lines; alerts " + (", ".join(a.ref for a in alerts) or "none"))[:500],
            ),
            session,
        )
    return draft, alerts, visit.code


def _form_lines(form: FormMultiDict) -> list[tuple[str, Decimal, int, int]]:
    codes = [str(v) for v in form.getall("drug_code", [])]
    doses = [str(v) for v in form.getall("dose_per_time", [])]
    times = [str(v) for v in form.getall("times_per_day", [])]
    days = [str(v) for v in form.getall("days", [])]
    removed = {str(v) for v in form.getall("remove_line", [])}

    def at(values: list[str], index: int) -> str:
        return values[index] if index < len(values) else ""

    return [
        (code, _number(at(doses, i)), _whole(at(times, i)), _whole(at(days, i)))
        for i, code in enumerate(codes)
        if code.strip() and code not in removed
    ]


@post(
    "/visits/{visit_id:int}/check",
    opt=ALERTS,
    status_code=200,
    summary="Check prescription lines being written for a visit (nothing is signed)",
)
async def api_check(
    request: Request[Any, Any, Any], visit_id: FromPath[int], data: JSONBody[list[CheckLineIn]]
) -> list[AlertOut]:
    lines = [(item.drug_code, _number(item.dose_per_time), _whole(item.times_per_day), 1) for item in data]
    _draft, alerts, _code = await _checked(request, visit_id, lines)
    localize = _localizer(request)
    return [
        AlertOut(a.ref, rules.rule_of_key(a.ref), a.severity, a.kind, localize(a.message), a.source) for a in alerts
    ]


def api_router() -> Router:
    return Router(
        path="/api/v1/decision",
        route_handlers=[
            api_allergies,
            api_add_allergy,
            api_no_known_allergy,
            api_remove_allergy,
            api_local_rules,
            api_create_rule,
            api_update_rule,
            api_deactivate_rule,
            api_activate_rule,
            api_knowledge,
            api_statistics,
            api_reviews,
            api_review_done,
            api_templates,
            api_save_template,
            api_activate_template,
            api_deactivate_template,
            api_run_screening,
            api_screening,
            api_check,
        ],
        tags=["decision"],
    )


# ---------------------------------------------------------------- CDS Hooks


class _BindingRouteHandler(HTTPRouteHandler):
    """A route handler that also binds the decision module to the application's kernel when the application
    registers it: the prescription checks must reach the database before anybody opens a decision page."""

    def on_registration(self, app: Litestar) -> None:
        super().on_registration(app)
        kernel = app.state.get("kernel")
        if isinstance(kernel, Kernel):
            api.bind(kernel).warm_up()


@_BindingRouteHandler(
    "/cds-services", http_method="GET", opt=public(), summary="CDS Hooks discovery", tags=["cds-hooks"]
)
async def cds_discovery() -> CdsDiscovery:
    prefetch = {"patient": "Patient/{{context.patientId}}"}
    return CdsDiscovery(
        [
            CdsService(
                hook=hook,
                id=service_id,
                title=title,
                description="Drug-drug interactions (QĐ 5948/QĐ-BYT and more), allergy, duplicate therapy, dose, "
                "drug-diagnosis and pregnancy checks of the draft medication orders.",
                prefetch=prefetch,
            )
            for service_id, (hook, title) in CDS_SERVICES.items()
        ]
    )


def _coding_substances(concept: Any) -> list[str]:
    if not isinstance(concept, dict):
        return []
    text = concept.get("text")
    if isinstance(text, str) and text.strip():
        return [part.strip() for part in text.split("+") if part.strip()]
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict):
            name = coding.get("display") or coding.get("code")
            if isinstance(name, str) and name.strip():
                return [part.strip() for part in name.split("+") if part.strip()]
    return []


def _medication_requests(bundle: Any, where: str) -> list[tuple[str, Any]]:
    """(id, Drug) of each MedicationRequest of a FHIR-like Bundle (or a list of resources)."""
    from his.decision.engine import Drug

    if isinstance(bundle, dict) and bundle.get("resourceType") == "Bundle":
        resources = [e.get("resource") if isinstance(e, dict) else None for e in bundle.get("entry") or []]
    elif isinstance(bundle, list):
        resources = list(bundle)
    else:
        raise BadRequest("{where} must be a Bundle of MedicationRequest resources", where=where)
    drugs: list[tuple[str, Any]] = []
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict) or resource.get("resourceType") != "MedicationRequest":
            raise BadRequest("{where} entry {index} is not a MedicationRequest", where=where, index=index)
        substances = _coding_substances(resource.get("medicationCodeableConcept"))
        if not substances:
            raise BadRequest(
                "{where} entry {index} names no substance in medicationCodeableConcept", where=where, index=index
            )
        dose_mg, per_day = _dosage(resource.get("dosageInstruction"))
        drugs.append(
            (
                str(resource.get("id") or index),
                Drug(substances=substances, name=" + ".join(substances), dose_mg=dose_mg, doses_per_day=per_day),
            )
        )
    return drugs


def _dosage(instructions: Any) -> tuple[float | None, float | None]:
    if not isinstance(instructions, list) or not instructions or not isinstance(instructions[0], dict):
        return None, None
    first = instructions[0]
    dose_mg: float | None = None
    for rate in first.get("doseAndRate") or []:
        quantity = rate.get("doseQuantity") if isinstance(rate, dict) else None
        if isinstance(quantity, dict) and isinstance(quantity.get("value"), int | float):
            unit = str(quantity.get("unit") or quantity.get("code") or "mg").lower()
            factor = {"mg": 1.0, "g": 1000.0, "mcg": 0.001, "ug": 0.001, "µg": 0.001}.get(unit)
            if factor is not None:
                dose_mg = float(quantity["value"]) * factor
    per_day: float | None = None
    timing = first.get("timing")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    if isinstance(repeat, dict) and isinstance(repeat.get("frequency"), int | float):
        period = repeat.get("period", 1)
        unit = repeat.get("periodUnit", "d")
        if unit == "d" and isinstance(period, int | float) and period > 0:
            per_day = float(repeat["frequency"]) / float(period)
    return dose_mg, per_day


def _patient_facts(prefetch: dict[str, Any]) -> Any:
    from his.decision.engine import Patient

    facts = prefetch.get("patient") or {}
    if not isinstance(facts, dict):
        raise BadRequest("prefetch.patient must be an object of patient facts")
    if facts.get("resourceType") == "Patient":  # a FHIR Patient: sex only (age needs a date we do not parse here)
        gender = facts.get("gender")
        facts = {"sex": {"male": "M", "female": "F"}.get(str(gender))}
    try:
        return msgspec.convert(facts, Patient)
    except msgspec.ValidationError as error:
        raise BadRequest("prefetch.patient is not valid: {problem}", problem=str(error)) from None


def _card(alert: Any, kernel: Kernel, locale: str) -> CdsCard:
    message = api.translate_alert(kernel, locale, alert.message, alert.params)
    return CdsCard(
        uuid=rules.alert_key(alert.rule, list(alert.drugs)),
        summary=message if len(message) <= 140 else message[:139] + "…",
        detail=f"{message} ({' + '.join(alert.substances)})",
        indicator=INDICATORS[alert.severity],  # type: ignore[arg-type]
        source=CdsSource(label=alert.source),
    )


@post(
    "/cds-services/{service_id:str}",
    opt=CDS_HOOKS,
    status_code=200,
    summary="CDS Hooks service call",
    tags=["cds-hooks"],
)
async def cds_service(request: Request[Any, Any, Any], service_id: FromPath[str]) -> CdsResponse:
    from his.decision.engine import CheckRequest

    kernel = _kernel(request)
    ctx = context_of(request)
    if service_id not in CDS_SERVICES:
        raise BadRequest("No CDS service {id}", id=service_id[:64])
    body = await request.body()
    try:
        call = msgspec.json.decode(body, type=CdsRequest)
    except (msgspec.ValidationError, msgspec.DecodeError) as error:
        raise BadRequest("The request is not a CDS Hooks call: {problem}", problem=str(error)) from None
    hook = CDS_SERVICES[service_id][0]
    if call.hook != hook:
        raise BadRequest("Service {id} answers the {hook} hook", id=service_id, hook=hook)
    if "draftOrders" not in call.context:
        raise BadRequest("context.draftOrders is required")
    orders = _medication_requests(call.context["draftOrders"], "context.draftOrders")
    active = [drug for _id, drug in _medication_requests(call.prefetch.get("medications", []), "prefetch.medications")]
    patient = _patient_facts(call.prefetch)
    selected = call.context.get("selections")
    if hook == "order-select" and isinstance(selected, list) and selected:
        wanted = {str(s).rsplit("/", 1)[-1] for s in selected}
        new = [drug for order_id, drug in orders if order_id in wanted]
        active = [drug for order_id, drug in orders if order_id not in wanted] + active
    else:
        new = [drug for _id, drug in orders]
    state = _state(request)
    async with kernel.db.transaction() as session:
        knowledge = state.engine.knowledge(await service.local_interactions(session))
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(
                action="cds_hooks.call",
                object_type="cds_service",
                object_id=service_id,
                patient_id=str(call.context.get("patientId") or "")[:64] or None,
                detail=f"{hook} {call.hookInstance}"[:500],
            ),
            session,
        )
    alerts = state.engine.check(knowledge, CheckRequest(patient=patient, active=active, new=new))
    # The kernel reads Accept-Language only under /api/; a CDS client is a program that says which language its
    # users read (without the header: the ?lang= or cookie choice, else the hospital's default).
    asked = request.headers.get("accept-language")
    locale = kernel.translator.resolve(asked) if asked else ctx.locale
    return CdsResponse([_card(alert, kernel, locale) for alert in alerts])


def cds_hooks_handlers() -> list[Any]:
    return [cds_discovery, cds_service]


# ---------------------------------------------------------------- pages


def _tier_labels() -> dict[str, str]:
    return {
        "contraindicated": _("Contraindicated (stop)"),
        "avoid": _("Avoid (warning)"),
        "precaution": _("Precaution (warning)"),
        "note": _("Note (information)"),
    }


@get("/decision", opt=STATS, include_in_schema=False)
async def overview_page(request: Request[Any, Any, Any]) -> Response[str]:
    kernel = _kernel(request)
    await _synced(request)
    async with kernel.db.transaction() as session:
        recorded = await service.current_knowledge_version(session)
        run, _findings = await service.last_screening(session)
        pending = len(await service.reviews(session, status="pending"))
        rules_count = len(await service.local_rules(session, active_only=True))
    return await render_page(
        request, "decision/index.html", recorded=recorded, run=run, pending=pending, rules_count=rules_count
    )


def _rule_in(form: FormMultiDict) -> LocalRuleIn:
    tier = str(form.get("tier") or "")
    if tier not in rules.TIERS:
        raise InvalidInput(_("Choose the tier"), field="tier")
    return LocalRuleIn(
        first=str(form.get("first") or ""),
        second=str(form.get("second") or ""),
        tier=tier,  # type: ignore[arg-type]
        message=str(form.get("message") or ""),
        source=str(form.get("source") or ""),
    )


async def _rules_page(
    request: Request[Any, Any, Any],
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response[str]:
    async with _kernel(request).db.transaction() as session:
        rows = await service.local_rules(session)
        recorded = await service.current_knowledge_version(session)
    return await render_page(
        request,
        "decision/rules.html",
        status_code=status,
        rules=rows,
        recorded=recorded,
        tiers=_tier_labels(),
        error=error,
        values=values or {},
    )


@get("/decision/rules", opt=RULES, include_in_schema=False)
async def rules_page(request: Request[Any, Any, Any]) -> Response[str]:
    return await _rules_page(request)


@post("/decision/rules", opt=RULES, include_in_schema=False, status_code=200)
async def rules_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    kernel, ctx = _kernel(request), context_of(request)
    form = await request.form()
    rule_id = str(form.get("rule_id") or "").strip()
    try:
        data = _rule_in(form)
        async with kernel.db.transaction() as session:
            if rule_id.isdigit():
                await service.update_local_rule(
                    session, kernel.clock, ctx.audit_actor(), _state(request).engine, int(rule_id), data
                )
            else:
                await service.create_local_rule(session, kernel.clock, ctx.audit_actor(), _state(request).engine, data)
    except DomainError as error:
        values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        return await _rules_page(request, error=_t(kernel, ctx, error.message, error.params), values=values, status=422)
    await _rerun_screening(request)
    return Redirect("/decision/rules", status_code=303)


@post("/decision/rules/{rule_id:int}/active", opt=RULES, include_in_schema=False, status_code=200)
async def rule_active_submit(request: Request[Any, Any, Any], rule_id: FromPath[int]) -> Response[Any]:
    form = await request.form()
    await _set_active(request, rule_id, str(form.get("active") or "") == "1")
    return Redirect("/decision/rules", status_code=303)


def _bar_chart(stats: Sequence[RuleStat], limit: int = 15) -> dict[str, Any]:
    """Bars of fired and overridden per rule for an inline SVG (no script, no library)."""
    shown = list(stats)[:limit]
    top = max((s.fired for s in shown), default=0) or 1
    width = 420
    bars = [
        {
            "rule": s.rule,
            "y": index * 26,
            "fired_width": round(width * s.fired / top),
            "overridden_width": round(width * s.overridden / top),
            "fired": s.fired,
            "overridden": s.overridden,
        }
        for index, s in enumerate(shown)
    ]
    return {"bars": bars, "height": max(len(bars) * 26, 26), "width": width}


@get("/decision/statistics", opt=STATS, include_in_schema=False)
async def statistics_page(
    request: Request[Any, Any, Any], days: Annotated[int, QueryParameter(ge=1, le=3660)] = 90
) -> Response[str]:
    kernel = _kernel(request)
    await _synced(request)
    async with kernel.db.transaction() as session:
        rows = await service.rule_statistics(session, since=kernel.clock.now() - timedelta(days=days))
    stats = _stats(rows, _localizer(request))
    return await render_page(
        request,
        "decision/statistics.html",
        stats=stats,
        chart=_bar_chart(stats),
        days=days,
        labels=rules.SEVERITY_LABELS,
    )


@get("/decision/reviews", opt=REVIEW, include_in_schema=False)
async def reviews_page(
    request: Request[Any, Any, Any], status: Annotated[str, QueryParameter(max_length=16)] = "pending"
) -> Response[str]:
    await _synced(request)
    async with _kernel(request).db.transaction() as session:
        rows = await service.reviews(session, status=status if status in ("pending", "reviewed") else None)
    return await render_page(request, "decision/reviews.html", reviews=rows, status=status)


@post("/decision/reviews/{review_id:int}", opt=REVIEW, include_in_schema=False, status_code=200)
async def review_submit(request: Request[Any, Any, Any], review_id: FromPath[int]) -> Response[Any]:
    kernel = _kernel(request)
    form = await request.form()
    async with kernel.db.transaction() as session:
        await service.mark_reviewed(
            session, kernel.clock, context_of(request).audit_actor(), review_id, str(form.get("note") or "")
        )
    return Redirect("/decision/reviews", status_code=303)


async def _templates_page(
    request: Request[Any, Any, Any], *, error: str | None = None, draft: str = "", status: int = 200
) -> Response[str]:
    async with _kernel(request).db.transaction() as session:
        rows = [template_out(r) for r in await service.templates(session)]
    return await render_page(
        request,
        "decision/templates.html",
        status_code=status,
        templates=rows,
        error=error,
        draft=draft,
        example=EXAMPLE,
    )


EXAMPLE = """{
  "definition": {
    "code": "NSAID-ELDERLY", "name": "NSAID in an elderly patient", "match": "all",
    "conditions": [{"fact": "age_years", "op": "ge", "value": 75},
                   {"fact": "drug_class", "op": "prefix", "value": "M01A"}],
    "severity": "warning",
    "message": "NSAID in a patient aged 75 or more: consider paracetamol; protect the stomach"
  },
  "cases": [
    {"name": "80 with ibuprofen", "facts": {"age_years": 80, "drug_classes": ["M01AE01"]}, "expect_fire": true},
    {"name": "40 with ibuprofen", "facts": {"age_years": 40, "drug_classes": ["M01AE01"]}, "expect_fire": false}
  ]
}"""


@get("/decision/templates", opt=RULES, include_in_schema=False)
async def templates_page(request: Request[Any, Any, Any]) -> Response[str]:
    return await _templates_page(request)


@post("/decision/templates", opt=RULES, include_in_schema=False, status_code=200)
async def template_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    kernel, ctx = _kernel(request), context_of(request)
    form = await request.form()
    text = str(form.get("template") or "")
    try:
        try:
            data = msgspec.json.decode(text, type=TemplateIn)
        except (msgspec.ValidationError, msgspec.DecodeError) as problem:
            raise InvalidInput(_("The template is not valid: {problem}"), problem=str(problem)) from None
        async with kernel.db.transaction() as session:
            await service.save_template(session, kernel.clock, ctx.audit_actor(), data)
    except DomainError as error:
        return await _templates_page(
            request, error=_t(kernel, ctx, error.message, error.params), draft=text, status=422
        )
    return Redirect("/decision/templates", status_code=303)


@post("/decision/templates/{code:str}/status", opt=RULES, include_in_schema=False, status_code=200)
async def template_status_submit(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[Any]:
    kernel, ctx = _kernel(request), context_of(request)
    form = await request.form()
    try:
        async with kernel.db.transaction() as session:
            await service.set_template_status(
                session, kernel.clock, ctx.audit_actor(), code, active=str(form.get("active") or "") == "1"
            )
    except DomainError as error:
        return await _templates_page(request, error=_t(kernel, ctx, error.message, error.params), status=409)
    return Redirect("/decision/templates", status_code=303)


@get("/decision/screening", opt=STATS, include_in_schema=False)
async def screening_page(request: Request[Any, Any, Any]) -> Response[str]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        run, findings = await service.last_screening(session)
        runs = await service.screening_runs(session)
        await kernel.audit(
            context_of(request).audit_actor(),
            AuditEntry(
                action="screening.read",
                object_type="screening",
                object_id=str(run.id if run else "-"),
                detail="patients " + ",".join(sorted({str(f.patient_id) for f in findings}))[:400],
            ),
            session,
        )
    localize = _localizer(request)
    shown = [finding_out(f, localize) for f in findings]
    return await render_page(
        request, "decision/screening.html", run=run, runs=runs, findings=shown, labels=rules.SEVERITY_LABELS
    )


@post("/decision/screening", opt=STATS, include_in_schema=False, status_code=200)
async def screening_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        await service.run_screening(
            session, kernel.clock, context_of(request).audit_actor(), _state(request).engine, trigger="manual"
        )
    return Redirect("/decision/screening", status_code=303)


# ---------------------------------------------------------------- fragments of the prescribing screen


@post("/decision/visits/{visit_id:int}/alerts", opt=ALERTS, include_in_schema=False, status_code=200)
async def alerts_fragment(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> Response[str]:
    """The alerts of the lines in the prescription form, shown while the doctor writes them."""
    localize = _localizer(request)
    form = await request.form()
    _draft, alerts, _code = await _checked(request, visit_id, _form_lines(form))
    shown = [
        {
            "key": a.ref,
            "rule": rules.rule_of_key(a.ref),
            "severity": a.severity,
            "kind": a.kind,
            "message": localize(a.message),
            "raw_message": a.message,
            "source": a.source,
        }
        for a in alerts
    ]
    return await render_fragment(
        request, "decision/_alerts.html", alerts=shown, visit_id=visit_id, labels=rules.SEVERITY_LABELS
    )


@post("/decision/visits/{visit_id:int}/dismiss", opt=ALERTS, include_in_schema=False, status_code=200)
async def dismiss_fragment(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> Response[str]:
    kernel, ctx = _kernel(request), context_of(request)
    form = await request.form()
    severity = str(form.get("severity") or "")
    if severity not in ("warning", "info"):
        raise InvalidInput(_("A hard stop is overridden with a reason when signing"), field="severity")
    data = DismissIn(
        key=str(form.get("key") or "")[:200],
        rule=str(form.get("rule") or "")[:200],
        severity=severity,  # type: ignore[arg-type]
        kind=str(form.get("kind") or "")[:32],
        message=str(form.get("message") or "")[:1000],
        source=str(form.get("source") or "")[:300],
        reason=str(form.get("dismiss_reason") or ""),
    )
    async with kernel.db.transaction() as session:
        visit = await reception.get_visit(session, visit_id=visit_id)
        await service.dismiss_alert(
            session, kernel.clock, ctx.audit_actor(), patient_id=visit.patient_id, encounter=visit.code, data=data
        )
    return Response(
        '<small class="muted" role="status">' + _t(kernel, ctx, "Dismissed") + "</small>", media_type="text/html"
    )


@get("/decision/visits/{visit_id:int}/protocols", opt=ALERTS, include_in_schema=False)
async def protocols_fragment(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> Response[str]:
    kernel = _kernel(request)
    state = _state(request)
    async with kernel.db.transaction() as session:
        if await outpatient.find_encounter(session, visit_id=visit_id) is None:
            return await render_fragment(request, "decision/_protocols.html", advice=[])
        draft = await outpatient.draft_for(session, kernel.clock, visit_id=visit_id, lines=[])
        allergies = await service.allergy_names(session, draft.patient.patient_id) or []
        advice = await api.protocol_advice(session, state.engine, draft, allergies)
        await kernel.audit(
            context_of(request).audit_actor(),
            AuditEntry(
                action="protocol.read",
                object_type="encounter",
                object_id=str(visit_id),
                patient_id=str(draft.patient.patient_id),
                detail=",".join(a.protocol for a in advice)[:500],
            ),
            session,
        )
    return await render_fragment(request, "decision/_protocols.html", advice=advice)


async def _allergy_panel(request: Request[Any, Any, Any], patient_id: int, error: str | None = None) -> Response[str]:
    async with _kernel(request).db.transaction() as session:
        listing = await _allergy_list(session, patient_id)
    return await render_fragment(
        request, "decision/_allergies.html", listing=listing, error=error, severities=rules.ALLERGY_SEVERITIES
    )


@get(
    "/decision/patients/{patient_id:int}/allergies",
    opt=requires("decision.allergy.read", reads_patient="patient_id"),
    include_in_schema=False,
)
async def allergies_fragment(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> Response[str]:
    return await _allergy_panel(request, patient_id)


@post("/decision/patients/{patient_id:int}/allergies", opt=ALLERGY_WRITE, include_in_schema=False, status_code=200)
async def allergy_submit(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> Response[str]:
    kernel, ctx = _kernel(request), context_of(request)
    form = await request.form()
    action = str(form.get("action") or "add")
    try:
        async with kernel.db.transaction() as session:
            if action == "none":
                await service.record_no_known_allergy(session, kernel.clock, ctx.audit_actor(), patient_id)
            elif action == "remove":
                allergy_id = str(form.get("allergy_id") or "")
                await service.remove_allergy(
                    session,
                    kernel.clock,
                    ctx.audit_actor(),
                    patient_id,
                    int(allergy_id) if allergy_id.isdigit() else 0,
                    str(form.get("reason") or ""),
                )
            else:
                severity = str(form.get("severity") or "unknown")
                data = AllergyIn(
                    substance=str(form.get("substance") or ""),
                    reaction=str(form.get("reaction") or ""),
                    severity=severity if severity in rules.ALLERGY_SEVERITIES else "unknown",  # type: ignore[arg-type]
                )
                await service.add_allergy(session, kernel.clock, ctx.audit_actor(), patient_id, data)
    except DomainError as error:
        return await _allergy_panel(request, patient_id, _t(kernel, ctx, error.message, error.params))
    return await _allergy_panel(request, patient_id)


@get("/decision/visits/{visit_id:int}/earlier", opt=ALERTS, include_in_schema=False)
async def earlier_fragment(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> Response[str]:
    """The patient's earlier prescriptions, each to renew (copied into the draft, then changed)."""
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        visit = await reception.get_visit(session, visit_id=visit_id)
        items = await outpatient.prescriptions_of_patient(session, patient_id=visit.patient_id, limit=10)
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(
                action="prescription.list",
                object_type="patient",
                object_id=str(visit.patient_id),
                patient_id=str(visit.patient_id),
            ),
            session,
        )
    return await render_fragment(request, "decision/_earlier.html", items=items, visit_id=visit_id)


@get("/decision/dose", opt=ALERTS, include_in_schema=False)
async def dose_fragment(
    request: Request[Any, Any, Any],
    # Named apart from the examination form's vital signs, which share the page.
    child_weight_kg: Annotated[str, QueryParameter(max_length=10)] = "",
    child_height_cm: Annotated[str, QueryParameter(max_length=10)] = "",
    dose: Annotated[str, QueryParameter(max_length=10)] = "",
    basis: Annotated[str, QueryParameter(max_length=8)] = "kg",
    times_per_day: Annotated[str, QueryParameter(max_length=4)] = "1",
    per_day: FromQuery[bool] = False,
    max_mg: Annotated[str, QueryParameter(max_length=10)] = "",
) -> Response[str]:
    """A child's dose by weight (mg/kg) or body surface (mg/m², Mosteller)."""
    result = None
    problem = None
    try:
        amount = float(_number(dose))
        cap = float(_number(max_mg)) or None
        result = rules.paediatric_dose(
            weight_kg=float(_number(child_weight_kg)),
            times_per_day=_whole(times_per_day) or 1,
            mg_per_kg=amount if basis == "kg" else None,
            mg_per_m2=amount if basis == "m2" else None,
            height_cm=float(_number(child_height_cm)) if basis == "m2" else None,
            per_day=per_day,
            max_per_dose_mg=cap,
        )
        if amount <= 0:
            result, problem = None, _("Give the dose per kg or per m²")
    except ValueError:
        problem = _("Give the weight (and the height for a dose per m²)")
    return await render_fragment(request, "decision/_dose.html", result=result, problem=problem)


def page_handlers() -> list[Any]:
    return [
        overview_page,
        rules_page,
        rules_submit,
        rule_active_submit,
        statistics_page,
        reviews_page,
        review_submit,
        templates_page,
        template_submit,
        template_status_submit,
        screening_page,
        screening_submit,
        alerts_fragment,
        dismiss_fragment,
        protocols_fragment,
        allergies_fragment,
        allergy_submit,
        earlier_fragment,
        dose_fragment,
    ]
