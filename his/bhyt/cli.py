"""`his bhyt keygen|build|validate`: the facility certificate, signed claim files, and their validation.

Exit codes: 0 done (valid), 1 the claim or file breaks rules (each violation printed), 2 unreadable input.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click
import msgspec
from cryptography import x509

from his.bhyt.mapping import VIET_NAM
from his.bhyt.rules import Violation


def _settings(ctx: click.Context) -> Any:
    return ctx.find_root().obj


def _fail(ctx: click.Context, message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    ctx.exit(code)
    raise AssertionError("unreachable")  # ctx.exit raises


def _print_violations(violations: list[Violation], err: bool) -> None:
    for violation in violations:
        click.echo(f"{violation.label()}: {violation.message()}", err=err)


def _read_bytes(ctx: click.Context, path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        _fail(ctx, f"{path}: cannot read the {what}: {error.strerror or error}", 2)


@click.group("bhyt")
def bhyt() -> None:
    """Social-insurance (BHYT) claims XML per QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT."""


@bhyt.command("keygen")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--facility-code", default=None, help="Default: the hospital's facility code (settings).")
@click.option("--name", "facility_name", default=None, help="Default: the hospital's name (settings).")
@click.option("--days", default=730, show_default=True, type=click.IntRange(1, 3650))
@click.option("--force", is_flag=True, help="Overwrite an existing key and certificate.")
@click.pass_context
def keygen(
    ctx: click.Context, out_dir: Path, facility_code: str | None, facility_name: str | None, days: int, force: bool
) -> None:
    """Make an RSA key and a self-signed facility certificate (for the demo and tests) in OUT."""
    from his.bhyt.signing import facility_certificate, write_credentials

    settings = _settings(ctx)
    key_path, cert_path = out_dir / "facility-key.pem", out_dir / "facility-cert.pem"
    if not force and (key_path.exists() or cert_path.exists()):
        _fail(ctx, f"{out_dir} already holds a facility key or certificate (--force replaces them)", 1)
    credentials = facility_certificate(
        facility_code=facility_code or settings.hospital.facility_code,
        facility_name=facility_name or settings.hospital.name,
        now=datetime.now(VIET_NAM),
        days=days,
    )
    write_credentials(credentials, key_path=key_path, cert_path=cert_path)
    click.echo(f"key {key_path}\ncertificate {cert_path}")


@bhyt.command("build")
@click.argument("input_file", metavar="INPUT.json", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--checkin-out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the check-in.")
@click.option("--key", "key_path", type=click.Path(dir_okay=False, path_type=Path), help="Default: settings.")
@click.option("--cert", "cert_path", type=click.Path(dir_okay=False, path_type=Path), help="Default: settings.")
@click.option(
    "--created-on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="NGAYLAP of the envelope, YYYY-MM-DD (default: today in Viet Nam).",
)
@click.pass_context
def build(
    ctx: click.Context,
    input_file: Path,
    out_file: Path,
    checkin_out: Path | None,
    key_path: Path | None,
    cert_path: Path | None,
    created_on: datetime | None,
) -> None:
    """Validate the claim in INPUT.json (a ClaimInput) and write its signed GIAMDINHHS envelope to OUT."""
    from his.bhyt import api
    from his.bhyt.schemas import ClaimInput

    settings = _settings(ctx).bhyt
    raw = _read_bytes(ctx, input_file, "claim")
    try:
        claim = msgspec.json.decode(raw, type=ClaimInput)
    except msgspec.DecodeError as error:
        _fail(ctx, f"{input_file}: not a claim (ClaimInput JSON): {error}", 2)
    password = settings.private_key_password.get_secret_value()
    credentials = api.SigningCredentials(
        private_key_pem=_read_bytes(ctx, key_path or settings.private_key_path, "private key"),
        certificate_pem=_read_bytes(ctx, cert_path or settings.certificate_path, "certificate"),
        password=password.encode() if password else None,
    )
    book = api.load_rulebook()
    violations = api.check_claim(claim=claim, rulebook=book)
    if violations:
        _print_violations(violations, err=True)
        _fail(ctx, f"refused: {len(violations)} violations; nothing written", 1)
    day = created_on.date() if created_on else datetime.now(VIET_NAM).date()
    try:
        envelope = api.build_claim_file(claim=claim, credentials=credentials, created_on=day, rulebook=book)
        checkin = api.build_checkin_file(claim=claim, credentials=credentials, rulebook=book) if checkin_out else None
    except (ValueError, TypeError) as error:  # a PEM file that is not a key or certificate, a wrong password
        _fail(ctx, f"cannot sign: {error}", 2)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_bytes(envelope)
    click.echo(f"written {out_file}")
    if checkin_out is not None and checkin is not None:
        checkin_out.parent.mkdir(parents=True, exist_ok=True)
        checkin_out.write_bytes(checkin)
        click.echo(f"written {checkin_out}")


@bhyt.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--trusted-cert",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Require this signing certificate (default: settings, else the embedded certificate alone).",
)
@click.pass_context
def validate(ctx: click.Context, file: Path, trusted_cert: Path | None) -> None:
    """Check FILE (a claims envelope or a check-in message) against every field rule and its signature."""
    from his.bhyt import api

    trusted_path = trusted_cert or _settings(ctx).bhyt.trusted_certificate_path
    trusted = _read_bytes(ctx, trusted_path, "trusted certificate") if trusted_path else None
    if trusted is not None:
        try:
            x509.load_pem_x509_certificate(trusted)
        except ValueError as error:
            _fail(ctx, f"{trusted_path}: not a PEM certificate: {error}", 2)
    data = _read_bytes(ctx, file, "file")
    try:
        report = api.validate_file(data=data, trusted_certificate_pem=trusted)
    except api.UnreadableFile as error:
        _fail(ctx, f"{file}: unreadable: {error}", 2)
    if report.violations:
        _print_violations(report.violations, err=False)
        _fail(ctx, f"{file}: {len(report.violations)} violations", 1)
    click.echo(f"{file}: valid, signature verified ({report.kind}, {report.claims} claims, signed by {report.signer})")
