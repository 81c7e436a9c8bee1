"""argon2id password hashing (salted, criterion 123) and the password policy."""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


def make_hasher(*, time_cost: int = 3, memory_kib: int = 65536) -> PasswordHasher:
    # argon2id (argon2-cffi's default type); salted with 16 random bytes per hash.
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(_normalize(password))


def verify_password(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, _normalize(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(hasher: PasswordHasher, stored_hash: str) -> bool:
    return hasher.check_needs_rehash(stored_hash)


def _normalize(password: str) -> str:
    # Vietnamese text typed on different keyboards arrives composed or decomposed; hash one form.
    return unicodedata.normalize("NFC", password)


def password_policy_problems(password: str, *, username: str, min_length: int) -> list[str]:
    """English msgids for each broken rule; empty when the password is acceptable."""
    problems: list[str] = []
    if len(password) < min_length:
        problems.append("The password must have at least {min_length} characters")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        problems.append("The password must mix at least three of: lower-case letters, capitals, digits, symbols")
    if username and username.lower() in password.lower():
        problems.append("The password must not contain the user name")
    return problems
