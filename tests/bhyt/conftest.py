"""Shared fixtures of the BHYT tests: the rule book, a facility certificate, the example claim, a file tamperer."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib import resources

import msgspec
import pytest
from lxml import etree  # type: ignore[import-untyped]

from his.bhyt import api, signing
from his.bhyt.schemas import ClaimInput
from his.bhyt.spec import RuleBook, load_rulebook
from his.bhyt.xml import DSIG_NS, PLACEHOLDER_ID, SIGNATURE_HOLDER

# Fixed instants: the certificate is made valid around NOW and files are verified AT it, never at the wall clock.
NOW = datetime(2024, 3, 16, 9, 0, tzinfo=UTC)
CREATED_ON = date(2024, 3, 16)

Tamper = Callable[..., bytes]


@pytest.fixture(scope="session")
def rulebook() -> RuleBook:
    return load_rulebook()


@pytest.fixture(scope="session")
def credentials() -> signing.SigningCredentials:
    return signing.facility_certificate(facility_code="79001", facility_name="Bệnh viện Demo", now=NOW, key_size=2048)


@pytest.fixture(scope="session")
def other_credentials() -> signing.SigningCredentials:
    return signing.facility_certificate(facility_code="79999", facility_name="Người khác", now=NOW, key_size=2048)


def example_claim_bytes() -> bytes:
    return (resources.files("his.bhyt") / "data" / "example-claim.json").read_bytes()


@pytest.fixture
def claim() -> ClaimInput:
    return msgspec.json.decode(example_claim_bytes(), type=ClaimInput)


@pytest.fixture
def signed_file(claim: ClaimInput, credentials: signing.SigningCredentials, rulebook: RuleBook) -> bytes:
    return api.build_claim_file(claim=claim, credentials=credentials, created_on=CREATED_ON, rulebook=rulebook)


def validate(data: bytes, rulebook: RuleBook, **options: object) -> api.ValidationReport:
    return api.validate_file(data=data, at=NOW, rulebook=rulebook, **options)  # type: ignore[arg-type]


@pytest.fixture
def tamper(rulebook: RuleBook) -> Tamper:
    """Change one field of one record of one table inside a signed envelope; re-sign when given credentials."""

    def change(
        data: bytes,
        table: str,
        field: str,
        value: str | None,
        *,
        line: int = 1,
        resign: signing.SigningCredentials | None = None,
    ) -> bytes:
        root = etree.fromstring(data)
        layout = rulebook.layouts[table]
        for file_element in root.iter("FILEHOSO"):
            if file_element.findtext("LOAIHOSO") != table:
                continue
            content = file_element.find("NOIDUNGFILE")
            inner = etree.fromstring(base64.b64decode(content.text))
            records = [inner] if layout.record_element is None else inner.iter(layout.record_element)
            target = list(records)[line - 1].find(field)
            if value is None:
                target.getparent().remove(target)
            else:
                target.text = value
            content.text = base64.b64encode(etree.tostring(inner, encoding="UTF-8")).decode()
        if resign is None:
            return etree.tostring(root, encoding="UTF-8", xml_declaration=True)
        holder = root.find(SIGNATURE_HOLDER)
        for child in list(holder):
            holder.remove(child)
        etree.SubElement(holder, f"{{{DSIG_NS}}}Signature", Id=PLACEHOLDER_ID, nsmap={"ds": DSIG_NS})
        return signing.sign(root, resign)

    return change
