"""The patient registry's use cases on SQLite and PostgreSQL: registration, duplicates, cards, search, merge."""

from __future__ import annotations

import asyncio
from datetime import date

import msgspec
import pytest
from sqlalchemy import func, select

from his.kernel.audit.models import AuditRecord
from his.kernel.errors import Conflict
from his.kernel.events.models import OutboxRecord
from his.kernel.runtime import Kernel
from his.patients import api, service
from his.patients.events import PatientMerged
from his.patients.models import InsuranceCard, Patient, PatientMerge
from his.patients.schemas import PatientIn, PatientPatch
from tests.patients.conftest import ACTOR, TODAY, card, person

pytestmark = pytest.mark.criterion(32)


async def register(kernel: Kernel, data: PatientIn) -> Patient:
    async with kernel.db.transaction() as session:
        patient, _card = await service.register(kernel, session, ACTOR, data)
        return patient


async def audit_rows(kernel: Kernel, action: str) -> list[AuditRecord]:
    async with kernel.db.transaction() as session:
        rows = await session.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id))
        return list(rows)


async def test_registration_assigns_a_code_normalises_and_audits(registry: Kernel) -> None:
    patient = await register(registry, person(full_name="  nguyễn   văn an ", card=card()))
    assert patient.code == "BN00000001"
    async with registry.db.transaction() as session:
        detail = await api.get_patient_detail(session, patient_id=patient.id, on=TODAY)
        by_code = await api.get_patient_by_code(session, code="bn00000001", on=TODAY)
    out = detail.patient
    assert by_code == out
    assert (out.full_name, out.phone, out.birth_year, out.identity_status) == (
        "Nguyễn Văn An",
        "0903123456",
        1990,
        "confirmed",
    )
    assert out.age is not None and (out.age.value, out.age.unit) == (35, "year")
    assert [(c.object_code, c.benefit_level, c.province_code, c.social_insurance_number) for c in detail.cards] == [
        ("DN", 4, "79", "7912345678")
    ]
    [audit] = await audit_rows(registry, "patient.register")
    assert audit.patient_id == str(patient.id) and audit.username == "letan" and "BN00000001" in (audit.detail or "")


async def test_invalid_registration_names_every_field(registry: Kernel) -> None:
    with pytest.raises(service.PatientRejected) as refused:
        await register(
            registry,
            person(
                cccd="079190123456",  # a woman's number
                phone="12345",
                province_code="7",
                card=card("ZZ0797912345678", valid_to=date(2025, 1, 1)),
            ),
        )
    fields = [p.field for p in refused.value.problems]
    assert fields == ["cccd", "phone", "province_code", "card.card_number", "card.card_number", "card.valid_to"]
    assert refused.value.field == "cccd" and refused.value.status_code == 422
    async with registry.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Patient)) == 0


async def test_a_child_under_six_needs_a_guardian(registry: Kernel) -> None:
    child = person(full_name="Nguyễn Minh Khang", birth_date=date(2023, 1, 9), cccd=None, phone=None)
    with pytest.raises(service.PatientRejected) as refused:
        await register(registry, child)
    assert [p.field for p in refused.value.problems] == ["guardian_name"]
    guarded = await register(
        registry,
        person(
            full_name="Nguyễn Minh Khang",
            birth_date=date(2023, 1, 9),
            cccd=None,
            phone=None,
            guardian_name="Nguyễn Văn Bình",
            guardian_relation="Bố",
            card=card("TE1797900000001", valid_to=date(2029, 1, 8)),
        ),
    )
    assert guarded.guardian_name == "Nguyễn Văn Bình"


async def test_a_likely_duplicate_is_refused_with_candidates_until_confirmed_with_a_reason(registry: Kernel) -> None:
    first = await register(registry, person())
    # Same name (typed without accents) and birth date, no CCCD, another phone.
    again = person(full_name="NGUYEN VAN AN", cccd=None, phone="0912000000")
    with pytest.raises(service.DuplicateSuspected) as refused:
        await register(registry, again)
    assert refused.value.status_code == 409 and refused.value.overridable
    assert [(c.code, c.match.certainty, c.match.reasons) for c in refused.value.candidates] == [
        (first.code, "likely", ("name_birth_date",))
    ]
    with pytest.raises(service.PatientRejected) as no_reason:
        await register(registry, person(full_name="Nguyen Van An", cccd=None, confirm_not_duplicate=True))
    assert no_reason.value.field == "not_duplicate_reason"
    second = await register(
        registry,
        person(
            full_name="Nguyen Van An",
            cccd=None,
            phone="0912000000",
            confirm_not_duplicate=True,
            not_duplicate_reason="Khác bố mẹ, khác quê",
        ),
    )
    assert second.code == "BN00000002"
    [_first_audit, audit] = await audit_rows(registry, "patient.register")
    assert "not a duplicate of BN00000001: Khác bố mẹ, khác quê" in (audit.detail or "")


async def test_a_certain_duplicate_cannot_be_confirmed_away(registry: Kernel) -> None:
    first = await register(registry, person(card=card()))
    same_cccd = person(full_name="Lê Văn Bình", confirm_not_duplicate=True, not_duplicate_reason="x")
    with pytest.raises(service.DuplicateSuspected) as refused:
        await register(registry, same_cccd)
    assert not refused.value.overridable
    assert refused.value.params == {"codes": first.code}
    same_card = person(
        full_name="Lê Văn Bình",
        birth_date=date(1970, 1, 1),
        cccd=None,
        card=card("HT3797912345678"),  # another card of the same social-insurance number
        confirm_not_duplicate=True,
        not_duplicate_reason="x",
    )
    with pytest.raises(service.DuplicateSuspected) as by_card:
        await register(registry, same_card)
    assert [c.match.reasons for c in by_card.value.candidates] == [("social_insurance_number",)]


async def test_a_new_card_supersedes_the_open_one_and_history_is_kept(registry: Kernel) -> None:
    patient = await register(registry, person(card=card(valid_from=date(2025, 1, 1), valid_to=date(2025, 12, 31))))
    renewed = card("HT3797912345678", valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31))
    async with registry.db.transaction() as session:
        await service.add_card(registry, session, ACTOR, patient.id, renewed)
    async with registry.db.transaction() as session:
        detail = await api.get_patient_detail(session, patient_id=patient.id)
        now = await api.active_card(session, patient_id=patient.id, on=date(2026, 3, 2))
        last_year = await api.active_card(session, patient_id=patient.id, on=date(2025, 6, 1))
        none = await api.active_card(session, patient_id=patient.id, on=date(2027, 1, 1))
    assert [(c.card_number, c.superseded_at is None) for c in detail.cards] == [
        ("HT3797912345678", True),
        ("DN4797912345678", False),
    ]
    assert now is not None and now.card_number == "HT3797912345678" and now.benefit_level == 3
    assert last_year is not None and last_year.card_number == "DN4797912345678"
    assert none is None
    [audit] = await audit_rows(registry, "patient.card.add")
    assert audit.patient_id == str(patient.id) and "1 superseded" in (audit.detail or "")


async def test_a_card_of_another_patient_is_refused(registry: Kernel) -> None:
    await register(registry, person(card=card()))
    other = await register(registry, person(full_name="Trần Thị Hoa", sex="F", cccd=None, phone=None))
    async with registry.db.transaction() as session:
        with pytest.raises(Conflict):
            await service.add_card(registry, session, ACTOR, other.id, card("GD4797912345678"))


async def test_search_is_accent_insensitive_and_finds_every_identifier(registry: Kernel) -> None:
    an = await register(registry, person(card=card()))
    anh = await register(
        registry, person(full_name="Nguyễn Văn Anh", birth_date=date(1985, 2, 2), cccd=None, phone="0987654321")
    )
    await register(registry, person(full_name="Trần Thị Hoa", sex="F", cccd=None, phone=None))

    async def found(q: str) -> list[str]:
        async with registry.db.transaction() as session:
            page = await api.search_patients(session, q=q)
        return [item.code for item in page.items]

    # The exact folded name ranks first; "an" is also a prefix of "anh".
    assert await found("nguyen van an") == [an.code, anh.code]
    assert await found("Nguyễn Văn An") == [an.code, anh.code]
    assert await found("VĂN ANH") == [anh.code]
    assert await found("hoa tran") == ["BN00000003"]
    assert await found("+84 903 123 456") == [an.code]
    assert await found("0987") == [anh.code]
    assert await found("079090123456") == [an.code]
    assert await found("dn4 79 7912345678") == [an.code]
    assert await found("7912345678") == [an.code]
    assert await found("bn00000002") == [anh.code]
    # What a CCCD chip's QR code sends: number|old ID|name|birth date|sex|address|issue date.
    assert await found("079090123456|123456789|Nguyễn Văn An|01051990|Nam|12 Lê Lợi|01012022") == [an.code]
    assert await found("nobody") == []
    async with registry.db.transaction() as session:
        page = await api.search_patients(session, q="nguyen", limit=1, offset=1)
    assert page.total == 2 and [item.code for item in page.items] == [anh.code]
    assert page.items[0].card_number is None


async def test_merge_moves_cards_redirects_and_is_audited(registry: Kernel) -> None:
    target = await register(registry, person(card=card(valid_from=date(2025, 1, 1), valid_to=date(2025, 12, 31))))
    source = await register(
        registry,
        person(
            full_name="Nguyen Van An",
            cccd=None,
            phone="0912000000",
            card=card("HT3797900000009", valid_to=date(2026, 12, 31)),
            confirm_not_duplicate=True,
            not_duplicate_reason="Chưa chắc",
        ),
    )
    async with registry.db.transaction() as session:
        duplicates = await api.find_duplicates(session, patient_id=target.id)
    assert [(d.patient.code, d.certainty) for d in duplicates] == [(source.code, "likely")]

    async with registry.db.transaction() as session:
        record, event = await service.merge(
            registry, session, ACTOR, source_id=source.id, target_id=target.id, reason="Cùng CCCD khi đối chiếu"
        )
    assert (event.source_code, event.target_code, event.merge_id) == (source.code, target.code, record.id)
    assert record.cards_moved == 1
    async with registry.db.transaction() as session:
        merged = await api.get_patient(session, patient_id=source.id)
        detail = await api.get_patient_detail(session, patient_id=target.id)
        page = await api.search_patients(session, q="nguyen van an")
        merges = (await session.scalars(select(PatientMerge))).all()
        cards_left = await session.scalar(
            select(func.count()).select_from(InsuranceCard).where(InsuranceCard.patient_id == source.id)
        )
    assert merged.merged_into_id == target.id
    # The newest open card stays open; the other one becomes history.
    assert [(c.card_number, c.superseded_at is None) for c in detail.cards] == [
        ("HT3797900000009", True),
        ("DN4797912345678", False),
    ]
    assert [item.code for item in page.items] == [target.code]
    assert cards_left == 0
    assert [(m.source_code, m.target_code, m.merged_by, m.reason) for m in merges] == [
        (source.code, target.code, "letan", "Cùng CCCD khi đối chiếu")
    ]
    audits = await audit_rows(registry, "patient.merge")
    assert [a.patient_id for a in audits] == [str(source.id), str(target.id)]
    # The fact left through the outbox in the merge's transaction, for modules that keep patient ids.
    async with registry.db.transaction() as session:
        published = (
            await session.scalars(select(OutboxRecord).where(OutboxRecord.event_type == "patients.PatientMerged"))
        ).all()
    assert [msgspec.json.decode(row.payload, type=PatientMerged) for row in published] == [event]
    # A merged record takes no more changes and cannot be merged again.
    async with registry.db.transaction() as session:
        with pytest.raises(Conflict):
            await service.merge(registry, session, ACTOR, source_id=source.id, target_id=target.id, reason="again")
    async with registry.db.transaction() as session:
        with pytest.raises(Conflict):
            await service.update_patient(registry, session, ACTOR, source.id, PatientPatch(phone="0912000001"))


async def test_a_temporary_identity_is_registered_with_little_and_merged_into_the_real_one(registry: Kernel) -> None:
    unknown = PatientIn(sex="M", temporary_reason="unidentified_emergency", birth_year=1986, birth_year_estimated=True)
    first = await register(registry, unknown)
    second = await register(registry, unknown)  # two unknown men of about 40 are not duplicates of each other
    assert first.full_name == second.full_name == "Không rõ tên"
    assert (first.identity_status, first.temporary_reason) == ("temporary", "unidentified_emergency")
    real = await register(registry, person())
    async with registry.db.transaction() as session:
        await service.merge(registry, session, ACTOR, source_id=first.id, target_id=real.id, reason="Người nhà nhận")
    async with registry.db.transaction() as session:
        assert (await api.get_patient(session, patient_id=first.id)).merged_into_id == real.id


async def test_a_newborn_is_linked_to_the_mother(registry: Kernel) -> None:
    mother = await register(
        registry, person(full_name="Trần Thị Hoa", sex="F", birth_date=date(1995, 4, 4), cccd="079195000111")
    )
    baby = await register(
        registry,
        PatientIn(sex="F", temporary_reason="newborn", birth_date=date(2026, 3, 1), mother_code=mother.code.lower()),
    )
    assert (baby.full_name, baby.mother_id, baby.guardian_name, baby.guardian_relation) == (
        "Con bà Trần Thị Hoa",
        mother.id,
        "Trần Thị Hoa",
        "Mẹ",
    )
    async with registry.db.transaction() as session:
        out = await api.get_patient(session, patient_id=baby.id, on=TODAY)
    assert out.age is not None and (out.age.value, out.age.unit) == (1, "day")
    with pytest.raises(service.PatientRejected) as refused:
        await register(registry, PatientIn(sex="M", temporary_reason="newborn", birth_date=date(2026, 3, 1)))
    assert refused.value.field == "mother_code"


async def test_update_checks_the_whole_record_and_audits_the_changed_fields(registry: Kernel) -> None:
    patient = await register(registry, person())
    other = await register(
        registry, person(full_name="Lê Văn Mạnh", birth_date=date(1990, 7, 7), cccd=None, phone=None)
    )
    async with registry.db.transaction() as session:
        await service.update_patient(
            registry, session, ACTOR, patient.id, PatientPatch(full_name="Nguyễn Văn Ánh", phone=None)
        )
    async with registry.db.transaction() as session:
        out = await api.get_patient(session, patient_id=patient.id)
        page = await api.search_patients(session, q="van anh")
    assert (out.full_name, out.phone) == ("Nguyễn Văn Ánh", None)
    assert [item.code for item in page.items] == [patient.code]
    [audit] = await audit_rows(registry, "patient.update")
    assert audit.detail == f"{patient.code}: full_name, phone"
    async with registry.db.transaction() as session:
        with pytest.raises(service.PatientRejected) as refused:
            await service.update_patient(registry, session, ACTOR, patient.id, PatientPatch(sex="F"))
    assert refused.value.field == "cccd"  # a man's CCCD number
    async with registry.db.transaction() as session:
        with pytest.raises(Conflict):
            await service.update_patient(registry, session, ACTOR, other.id, PatientPatch(cccd="079090123456"))


async def test_concurrent_registrations_take_distinct_consecutive_codes(registry: Kernel) -> None:
    given = ("An", "Bình", "Cường", "Dũng", "Giang", "Hải", "Khoa", "Long", "Minh", "Nam")

    async def one(index: int) -> str:
        data = person(
            full_name=f"Phạm {'Văn' if index < 10 else 'Hữu'} {given[index % 10]}",
            birth_date=date(1980 + index, 1, 1),
            cccd=None,
            phone=f"09031000{index:02d}",
        )
        return (await register(registry, data)).code

    codes = await asyncio.gather(*(one(index) for index in range(20)))
    assert sorted(codes) == [f"BN{number:08d}" for number in range(1, 21)]


async def test_merge_hands_the_cccd_to_the_target_and_refuses_two_different_ones(registry: Kernel) -> None:
    target = await register(registry, person(cccd=None))
    source = await register(
        registry, person(full_name="Nguyen Van An", confirm_not_duplicate=True, not_duplicate_reason="?")
    )
    other = await register(
        registry,
        person(full_name="Nguyễn Văn An", cccd="079090999999", phone=None, confirm_not_duplicate=True,
               not_duplicate_reason="?"),
    )  # fmt: skip
    async with registry.db.transaction() as session:
        await service.merge(registry, session, ACTOR, source_id=source.id, target_id=target.id, reason="Cùng người")
    async with registry.db.transaction() as session:
        assert (await api.get_patient(session, patient_id=target.id)).cccd == "079090123456"
        assert (await api.get_patient(session, patient_id=source.id)).cccd is None
    async with registry.db.transaction() as session:
        with pytest.raises(Conflict) as refused:
            await service.merge(registry, session, ACTOR, source_id=other.id, target_id=target.id, reason="?")
    assert refused.value.message.startswith("The two records have different CCCD numbers")
