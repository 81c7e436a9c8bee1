"""`his billing policy import|list` and the demo seed, on both databases."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from his.app import installed_modules
from his.billing import api, service
from his.billing.demo import seed_billing
from his.billing.schemas import AccountSummary
from his.cli import build_cli
from his.kernel.runtime import build_kernel
from his.settings import Settings

pytestmark = pytest.mark.criterion(35)


def run(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), ["--database-url", database_url, "billing", "policy", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_policy_import_then_list_on_a_day(database_url: str, tmp_path: Path) -> None:
    code, _ = run(database_url, "import")
    assert code == 0
    code, listed = run(database_url, "list", "--on", "2020-12-31")
    assert code == 0 and "policy in force on 2020-12-31" in listed
    line = next(row for row in listed.splitlines() if row.startswith("wrong_route.provincial.inpatient"))
    assert line.split()[1] == "60" and "2015-01-01..2021-01-01" in line
    code, listed = run(database_url, "list", "--on", "2021-01-01")
    line = next(row for row in listed.splitlines() if row.startswith("wrong_route.provincial.inpatient"))
    assert line.split()[1] == "100"
    bad = tmp_path / "bad.csv"
    bad.write_text("rule_key,value,unit,effective_from,effective_to,source,note\nnope,1,flag,2020-01-01,,X,\n")
    code, output = run(database_url, "import", str(bad))
    assert code != 0 and "line 2" in output and "nothing imported" in output


def test_demo_seed_imports_the_policy_and_fills_payable_accounts(settings: Settings) -> None:
    async def work() -> list[AccountSummary]:
        kernel = build_kernel(settings, installed_modules())
        try:
            await seed_billing(kernel, random.Random(54))
            async with kernel.db.transaction() as session:
                day = service.today(kernel.clock)
                found = [
                    await api.account_summary(session, kernel=kernel, encounter_ref=f"DEMO{day:%y%m%d}{i:04d}")
                    for i in range(1, 6)
                ]
                assert (await api.receipt_books(session))[0].code == "BL01"
                assert await api.policy_rules(session, on=day)
                return found
        finally:
            await kernel.db.dispose()

    accounts = asyncio.run(work())
    assert all(account.lines for account in accounts)
    assert all(
        account.totals.fund_pays + account.totals.patient_pays == account.totals.amount_hospital for account in accounts
    )
