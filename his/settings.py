"""Typed settings from the environment (HIS_*). Built once by create_app or the CLI, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SecuritySettings(BaseModel):
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    login_attempts_per_minute: int = 20
    api_requests_per_minute: int = 600
    cookie_secure: bool = False
    min_password_length: int = 10
    # argon2id cost; the defaults follow RFC 9106's second recommendation. Tests lower them for speed.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536


class HospitalDefaults(BaseModel):
    """Used until an administrator sets the hospital configuration in the database."""

    name: str = "Bệnh viện Đa khoa Tỉnh (Demo)"
    facility_code: str = "00000"
    # The hospital's technical level (central, provincial, district, commune): BHYT pays a wrong-route share by it.
    level: Literal["central", "provincial", "district", "commune"] = "provincial"
    # MA_TTDV until an administrator records it (Administration → Hospital).
    head_insurance_number: str = ""


class BhytSettings(BaseModel):
    """The facility's BHYT claims signing key and certificate (PEM; `his bhyt keygen` makes a demo pair)."""

    certificate_path: Path = Path("./var/bhyt/facility-cert.pem")
    private_key_path: Path = Path("./var/bhyt/facility-key.pem")
    # Password of an encrypted private key; empty for an unencrypted one.
    private_key_password: SecretStr = SecretStr("")
    # When set, `his bhyt validate` also requires files to be signed with this certificate.
    trusted_certificate_path: Path | None = None


class ClaimsSettings(BaseModel):
    """Facts the BHYT claims export (`his claims export`) needs that no module records yet."""

    # MA_TTDV: the social-insurance number of the facility head, or of the person authorised to sign the claims.
    head_insurance_number: str = ""


class OrdersSettings(BaseModel):
    """Orders and results (his/orders)."""

    # The same test or procedure for the same patient again within this many hours needs a reason (issue 5: order
    # conflicts); 0 turns the check off.
    repeat_window_hours: int = Field(default=24, ge=0, le=24 * 365)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HIS_", env_nested_delimiter="__", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/his.db"
    database_echo: bool = False
    data_dir: Path = Path("./var")
    default_locale: str = "vi"
    log_level: str = "INFO"
    log_json: bool = True
    debug: bool = False
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    hospital: HospitalDefaults = Field(default_factory=HospitalDefaults)
    bhyt: BhytSettings = Field(default_factory=BhytSettings)
    claims: ClaimsSettings = Field(default_factory=ClaimsSettings)
    orders: OrdersSettings = Field(default_factory=OrdersSettings)
