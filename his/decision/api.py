"""The decision module's public face: the prescription check the prescribing module runs before signing,
the allergy list, protocol advice. Keyword-only functions returning msgspec Structs (never ORM rows).

How the check reaches the database: `his/app.py` registers `decision_plugin().prescription_checks` on the
outpatient plugin. The check needs the application's kernel, which exists only after the modules are built, so the
check holds the decision module's `DecisionState`, bound to the kernel when the application registers the decision
routes (`bind`), by the command line and by the demo seed. An unbound check raises, and the prescribing module
shows "not checked" instead of signing silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from his.catalogs import api as catalogs
from his.decision import rules
from his.decision.state import DecisionState
from his.kernel.i18n import lazy as _
from his.outpatient.checks import ActiveDrug, CheckAlert, PrescriptionDraft

if TYPE_CHECKING:
    from cdss.protocols import ProtocolAdvice
    from his.decision.engine import Alert, Engine
    from his.kernel.runtime import Kernel

__all__ = [
    "DecisionCheck",
    "Translate",
    "alert_message",
    "bind",
    "check_draft",
    "protocol_advice",
    "state_of",
    "translate_alert",
    "translator_for",
]

KIND_NAMES = {"duplicate": "duplicate_therapy", "diagnosis": "contraindication"}
MSG_UNBOUND = _("Checked without the allergy list, local rules and templates of the hospital")

# Translates an engine msgid with its placeholders (kernel.translator.gettext bound to a locale).
Translate = Callable[[str, Mapping[str, str]], str]


class DecisionCheck:
    """The outpatient prescription check (his.outpatient.checks.PrescriptionCheck)."""

    def __init__(self, state: DecisionState) -> None:
        self.state = state

    async def __call__(self, draft: PrescriptionDraft, /) -> list[CheckAlert]:
        kernel = self.state.kernel
        if kernel is None:
            # Not bound (a command that built a kernel without the web application, such as the demo seed before
            # the decision module's turn): the engine still checks what the draft says, and says what it missed.
            return await check_draft(None, self.state.engine, draft)
        async with self.state.reader() as session:
            return await check_draft(session, self.state.engine, draft, translate=translator_for(kernel, None))


def translator_for(kernel: Kernel, locale: str | None) -> Translate:
    """Translates engine messages into `locale`, or the hospital's default language (Vietnamese) when the caller
    does not know the doctor's: the prescribing module's check hook carries no locale."""
    wanted = locale or kernel.translator.default_locale
    return lambda message, params: translate_alert(kernel, wanted, message, params)


def translate_alert(kernel: Kernel, locale: str, message: str, params: Mapping[str, str]) -> str:
    """An engine message in `locale`, its drug class names (rules.TRANSLATED_PARAMS) translated too."""
    translator = kernel.translator
    values = rules.translated_params(params, lambda name: translator.gettext(locale, name))
    return translator.gettext(locale, message, values or None)


def alert_message(alert: Alert, translate: Translate | None) -> str:
    """The text of an engine alert for a CheckAlert. A message without placeholders stays the English msgid (the
    page translates it into the doctor's language); one with placeholders is filled in here in the hospital's
    language, the text stored with an override, and the CheckAlert also carries the msgid and its values so a page
    can show it in the reader's language."""
    if translate is not None and alert.params:
        return translate(alert.message, alert.params)
    return alert.text()


def bind(kernel: Kernel) -> DecisionState:
    """Binds the decision module of this application to its kernel, and every decision check registered on the
    outpatient (prescriptions) and inpatient (medication orders) plugins to the same state. Idempotent."""
    from his.decision.plugin import DecisionPlugin
    from his.inpatient.plugin import medication_checks_of
    from his.outpatient.plugin import checks_of

    state: DecisionState | None = None
    for module in kernel.modules:
        if isinstance(module, DecisionPlugin):
            state = module.state
    if state is None:
        state = DecisionState()
    state.kernel = kernel
    for registry in (checks_of(kernel.modules), medication_checks_of(kernel.modules)):
        for _name, check in registry:
            if isinstance(check, DecisionCheck):
                check.state = state
    return state


def state_of(kernel: Kernel) -> DecisionState:
    from his.decision.plugin import DecisionPlugin

    for module in kernel.modules:
        if isinstance(module, DecisionPlugin) and module.state.kernel is kernel:
            return module.state
    return bind(kernel)


def _icd(code: str) -> str:
    return "".join(ch for ch in code if ch.isalnum() or ch == ".")


async def _new_drugs(session: AsyncSession | None, draft: PrescriptionDraft) -> list[Any]:
    from his.decision.engine import Drug

    drugs = []
    for line in draft.lines:
        entry = await catalogs.get_drug(session, code=line.drug_code, as_of=draft.on) if session else None
        strengths = [s.strength for s in entry.substances] if entry is not None else []
        drugs.append(
            Drug(
                substances=list(line.substances),
                name=line.drug_name,
                dose_mg=rules.dose_mg(line.dose_per_time, line.unit, strengths) if line.dose_per_time > 0 else None,
                doses_per_day=float(line.times_per_day) if line.times_per_day > 0 else None,
                route=line.route or None,
            )
        )
    return drugs


async def active_medications(session: AsyncSession, draft: PrescriptionDraft) -> list[ActiveDrug]:
    """The patient's active medications: what the draft brings (its module's own), completed with the running
    outpatient prescriptions and inpatient medication orders, each drug once."""
    from his.inpatient import api as inpatient
    from his.outpatient import api as outpatient

    patient_id = draft.patient.patient_id
    found = [
        *draft.active_drugs,
        *await outpatient.active_drugs_of_patient(session, patient_id=patient_id, on=draft.on),
        *await inpatient.active_medications_of_patient(session, patient_id=patient_id, on=draft.on),
    ]
    seen: set[tuple[str, str]] = set()
    unique = []
    for drug in found:
        if (drug.prescription_code, drug.drug_code) not in seen:
            seen.add((drug.prescription_code, drug.drug_code))
            unique.append(drug)
    return unique


async def creatinine_clearance(
    session: AsyncSession, draft: PrescriptionDraft, age_years: float | None, weight_kg: float | None
) -> float | None:
    """The patient's creatinine clearance (Cockcroft–Gault) from the newest serum creatinine result of the last
    CREATININE_VALID_DAYS days, for the renal dose checks; None without a result or when it cannot be estimated."""
    from his.orders import api as orders

    since = datetime.combine(draft.on - timedelta(days=rules.CREATININE_VALID_DAYS), time(), tzinfo=UTC)
    found = await orders.latest_numeric_result(
        session, patient_id=draft.patient.patient_id, codes=rules.CREATININE_CODES, since=since
    )
    if found is None:
        return None
    return rules.creatinine_clearance(
        float(found.value), found.unit, age_years=age_years, weight_kg=weight_kg, sex=draft.patient.sex
    )


def _age_years(draft: PrescriptionDraft) -> float | None:
    if draft.patient.age_days is not None:
        return round(draft.patient.age_days / 365.25, 3)
    return float(draft.patient.age_years) if draft.patient.age_years is not None else None


async def check_draft(
    session: AsyncSession | None, engine: Engine, draft: PrescriptionDraft, *, translate: Translate | None = None
) -> list[CheckAlert]:
    """Every alert for a prescription draft: the engine's (interactions, allergy, duplicates, dose, diagnosis,
    pregnancy) against the patient's active drugs and recorded allergies, then the hospital's active alert
    templates and the treatment protocols' deviations. Keys are the engine's rule id and the drug indexes.
    `translate` fills in the messages with placeholders in the doctor's language (see `alert_message`)."""
    from cdss.protocols import default_protocols
    from his.decision import service
    from his.decision.engine import CheckRequest, Drug, Patient

    allergies = draft.patient.allergies
    if allergies is None and session is not None:
        allergies = await service.allergy_names(session, draft.patient.patient_id)
    allergies = allergies or []
    knowledge = engine.knowledge(await service.local_interactions(session) if session is not None else [])
    new = await _new_drugs(session, draft)
    running = await active_medications(session, draft) if session is not None else list(draft.active_drugs)
    active = [
        Drug(substances=[rules.substance_name(s) for s in drug.substances], name=drug.drug_name) for drug in running
    ]
    age = _age_years(draft)
    weight = float(draft.patient.weight_kg) if draft.patient.weight_kg is not None else None
    patient = Patient(
        age_years=age,
        sex=draft.patient.sex,
        weight_kg=weight,
        pregnant=draft.patient.pregnant,
        allergies=list(allergies),
        diagnoses=[_icd(d.code) for d in draft.diagnoses],
        creatinine_clearance_ml_min=(
            await creatinine_clearance(session, draft, age, weight) if session is not None else None
        ),
    )
    found = engine.check(knowledge, CheckRequest(patient=patient, active=active, new=new))
    alerts = [
        CheckAlert(
            severity=alert.severity,
            kind=KIND_NAMES.get(alert.kind, alert.kind),
            message=alert_message(alert, translate),
            source=alert.source,
            key=rules.alert_key(alert.rule, list(alert.drugs)),
            msgid=alert.message if alert.params else "",
            params=dict(alert.params),
        )
        for alert in found
    ]
    substances = [s for drug in [*new, *active] for s in drug.substances]
    classes = sorted({c for s in substances for c in engine.classes(knowledge, s)})
    canonical = [engine.canonical(knowledge, s) for s in substances]
    if session is None:
        alerts.append(CheckAlert("info", "not_consulted", MSG_UNBOUND, "decision", key="decision:unbound"))
    else:
        alerts.extend(await _template_alerts(session, draft, patient, [*substances, *canonical], classes))
    advice = protocol_advice_for(
        default_protocols(),
        diagnoses=[d.code for d in draft.diagnoses],
        drugs=[(drug.substances, [c for s in drug.substances for c in engine.classes(knowledge, s)]) for drug in new]
        + [(drug.substances, [c for s in drug.substances for c in engine.classes(knowledge, s)]) for drug in active],
        allergies=list(allergies),
        pregnant=draft.patient.pregnant,
        canonical=lambda name: engine.canonical(knowledge, name),
    )
    for item in advice:
        alerts.extend(
            CheckAlert(severity=d.severity, kind="protocol", message=d.message, source=d.source, key=d.rule)
            for d in item.deviations
        )
    order = ("hard_stop", "warning", "info")
    return sorted(alerts, key=lambda a: order.index(a.severity))


async def _template_alerts(
    session: AsyncSession, draft: PrescriptionDraft, patient: Any, substances: list[str], classes: list[str]
) -> list[CheckAlert]:
    from cdss import templates as cdss_templates
    from his.decision import service

    facts = cdss_templates.Facts(
        age_years=patient.age_years,
        sex=patient.sex,
        pregnant=patient.pregnant,
        diagnoses=[d.code for d in draft.diagnoses],
        substances=substances,
        drug_classes=classes,
    )
    alerts = []
    for row in await service.templates(session, active_only=True):
        template, _cases = service.template_of(row)
        if cdss_templates.fires(template, facts):
            alerts.append(
                CheckAlert(
                    severity=template.severity,
                    kind="template",
                    message=template.message,
                    source=f"local:template:{template.code}",
                    key=f"template:{template.code}",
                )
            )
    return alerts


def protocol_advice_for(
    protocols: Sequence[Any],
    *,
    diagnoses: list[str],
    drugs: list[tuple[list[str], list[str]]],
    allergies: list[str],
    pregnant: bool | None,
    canonical: Any,
) -> list[ProtocolAdvice]:
    from cdss.protocols import DrugFact, ProtocolFacts, advise

    facts = ProtocolFacts(
        diagnoses=diagnoses,
        drugs=[DrugFact([*subs, *(canonical(s) for s in subs)], classes) for subs, classes in drugs],
        allergies=allergies,
        pregnant=pregnant,
    )
    return advise(protocols, facts)


async def protocol_advice(
    session: AsyncSession, engine: Engine, draft: PrescriptionDraft, allergies: list[str]
) -> list[ProtocolAdvice]:
    """The treatment protocols that apply to the draft's diagnoses, with suggestions and deviations."""
    from cdss.protocols import default_protocols
    from his.decision import service

    knowledge = engine.knowledge(await service.local_interactions(session))
    running = await active_medications(session, draft)
    names = [[rules.substance_name(s) for s in d.substances] for d in running] + [
        list(line.substances) for line in draft.lines
    ]
    return protocol_advice_for(
        default_protocols(),
        diagnoses=[d.code for d in draft.diagnoses],
        drugs=[(subs, [c for s in subs for c in engine.classes(knowledge, s)]) for subs in names],
        allergies=allergies,
        pregnant=draft.patient.pregnant,
        canonical=lambda name: engine.canonical(knowledge, name),
    )
