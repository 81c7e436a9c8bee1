"""The hash-chained audit trail (criteria 94, 116): append, tamper detection, concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from his.cli import build_cli
from his.kernel.audit.chain import GENESIS_HASH, AuditFields, find_first_break, record_hash
from his.kernel.audit.service import AuditActor, AuditEntry, append_audit, verify_audit_chain
from his.kernel.clock import FixedClock, vietnam_zone
from his.kernel.runtime import Kernel

pytestmark = [pytest.mark.criterion(94), pytest.mark.criterion(116)]

ACTOR = AuditActor(user_id=7, username="bacsi", role="doctor", client_ip="10.0.0.5", request_id="r1")


def _fields(record_id: int, detail: str = "x") -> AuditFields:
    return AuditFields(
        record_id,
        datetime(2026, 1, 1, tzinfo=UTC),
        1,
        "a",
        "admin",
        "read",
        "patient",
        "1",
        "P1",
        None,
        None,
        "success",
        detail,
    )


def test_chain_rules_name_the_first_broken_record() -> None:
    rows = []
    prev = GENESIS_HASH
    for record_id in (1, 2, 3):
        digest = record_hash(prev, _fields(record_id))
        rows.append((_fields(record_id), prev, digest))
        prev = digest
    assert find_first_break(rows) is None
    changed = [rows[0], (_fields(2, "edited"), rows[1][1], rows[1][2]), rows[2]]
    assert find_first_break(changed) == find_first_break(changed) and find_first_break(changed).record_id == 2  # type: ignore[union-attr]
    assert find_first_break([rows[0], rows[2]]).reason == "deleted_before"  # type: ignore[union-attr]


async def _append_many(kernel: Kernel, count: int) -> None:
    for index in range(count):
        async with kernel.db.transaction() as session:
            await append_audit(
                session,
                kernel.clock,
                ACTOR,
                AuditEntry(
                    action="patient.read",
                    object_type="patient",
                    object_id=str(index),
                    patient_id=f"BN{index:05d}",
                ),
            )


async def test_appended_records_verify(kernel: Kernel) -> None:
    await _append_many(kernel, 5)
    async with kernel.db.transaction() as session:
        checked, broken = await verify_audit_chain(session)
    assert (checked, broken) == (5, None)


async def test_a_clock_in_local_time_still_verifies(kernel: Kernel) -> None:
    """A module may audit with a clock set to a Vietnamese local time (the demo backdates bookings): the record is
    hashed as the UTC instant it is stored as."""
    local = FixedClock(datetime(2026, 3, 2, 9, 30, tzinfo=vietnam_zone()))
    async with kernel.db.transaction() as session:
        await append_audit(session, local, ACTOR, AuditEntry(action="x.y", object_type="x", object_id="1"))
    async with kernel.db.transaction() as session:
        checked, broken = await verify_audit_chain(session)
    assert (checked, broken) == (1, None)


async def test_the_database_refuses_updates_and_deletes(kernel: Kernel) -> None:
    await _append_many(kernel, 2)
    for statement in (
        "UPDATE kernel_audit SET detail = 'x' WHERE id = 1",
        "DELETE FROM kernel_audit WHERE id = 2",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with kernel.db.transaction() as session:
                await session.execute(text(statement))


async def _disable_append_only(kernel: Kernel) -> None:
    """What an attacker with database-owner rights would do first."""
    async with kernel.db.transaction() as session:
        if kernel.db.dialect == "postgresql":
            await session.execute(text("ALTER TABLE kernel_audit DISABLE TRIGGER kernel_audit_append_only"))
        else:
            await session.execute(text("DROP TRIGGER kernel_audit_no_update"))
            await session.execute(text("DROP TRIGGER kernel_audit_no_delete"))


def _verify_cli(database_url: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), ["--database-url", database_url, "audit", "verify"])
    return result.exit_code, result.output


async def test_a_row_changed_by_hand_in_sql_is_named(kernel: Kernel, database_url: str) -> None:
    await _append_many(kernel, 4)
    await _disable_append_only(kernel)
    async with kernel.db.transaction() as session:
        await session.execute(text("UPDATE kernel_audit SET patient_id = 'BN99999' WHERE id = 3"))
    code, output = await asyncio.to_thread(_verify_cli, database_url)
    assert code == 1
    assert "audit record 3 was changed" in output


async def test_a_deleted_row_is_detected(kernel: Kernel, database_url: str) -> None:
    await _append_many(kernel, 4)
    await _disable_append_only(kernel)
    async with kernel.db.transaction() as session:
        await session.execute(text("DELETE FROM kernel_audit WHERE id = 2"))
    code, output = await asyncio.to_thread(_verify_cli, database_url)
    assert code == 1
    assert "audit record 3 follows a deleted record" in output


async def test_an_intact_trail_verifies_through_the_cli(kernel: Kernel, database_url: str) -> None:
    await _append_many(kernel, 3)
    code, output = await asyncio.to_thread(_verify_cli, database_url)
    assert code == 0, output
    assert "3 records" in output


async def test_concurrent_appends_keep_one_chain(kernel: Kernel) -> None:
    """Many request handlers auditing at once (PostgreSQL: truly parallel connections)."""

    async def one(index: int) -> None:
        async with kernel.db.transaction() as session:
            await append_audit(session, kernel.clock, ACTOR, AuditEntry(action="patient.read", object_id=str(index)))
            await asyncio.sleep(0)

    await asyncio.gather(*(one(i) for i in range(25)))
    async with kernel.db.transaction() as session:
        checked, broken = await verify_audit_chain(session)
        ids = (await session.execute(text("SELECT id FROM kernel_audit ORDER BY id"))).scalars().all()
    assert broken is None and checked == 25
    assert list(ids) == list(range(1, 26))


async def test_a_rolled_back_audit_leaves_no_gap(kernel: Kernel) -> None:
    with pytest.raises(RuntimeError):
        async with kernel.db.transaction() as session:
            await append_audit(session, kernel.clock, ACTOR, AuditEntry(action="x"))
            raise RuntimeError("the surrounding work failed")
    await _append_many(kernel, 2)
    async with kernel.db.transaction() as session:
        assert await verify_audit_chain(session) == (2, None)


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), list(args))
    return result.exit_code, result.output


async def test_deleting_the_newest_records_is_caught_by_an_anchor(
    kernel: Kernel, database_url: str, tmp_path: Path
) -> None:
    await _append_many(kernel, 4)
    code, head = await asyncio.to_thread(_cli, "--database-url", database_url, "audit", "head")
    assert code == 0 and head.startswith("4 ")
    anchor = tmp_path / "audit-anchor.txt"
    anchor.write_text(head, encoding="utf-8")
    await _disable_append_only(kernel)
    async with kernel.db.transaction() as session:
        await session.execute(text("DELETE FROM kernel_audit WHERE id >= 3"))
    # The chain alone still looks whole; the anchor kept outside the database does not.
    assert (await asyncio.to_thread(_verify_cli, database_url))[0] == 0
    code, output = await asyncio.to_thread(
        _cli, "--database-url", database_url, "audit", "verify", "--anchor", str(anchor)
    )
    assert code == 1 and "audit record 3" in output and "missing" in output
