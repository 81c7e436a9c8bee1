"""The signed-in staff member: a Locust HttpUser that signs in with a demo account, sends the CSRF token on unsafe
requests, names every request by its route template and records each refusal with its reason."""

from __future__ import annotations

import os
import random
import re
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from load.clinic import Clinic, clinic
from locust import HttpUser

API = "/api/v1"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_NUMBERS = re.compile(r"\d+")


def demo_password() -> str:
    """HIS_LOAD_PASSWORD, else the password `his demo seed` gives every demo account."""
    configured = os.environ.get("HIS_LOAD_PASSWORD")
    if configured:
        return configured
    from his.kernel.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any


def failure_reason(status: int, body: Any) -> str:
    """ "409 Conflict: Nothing to collect on encounter #" — digits masked so that Locust groups one kind of
    failure on one line however many patients it hit."""
    detail = ""
    if isinstance(body, dict):
        detail = ": ".join(str(body[key]) for key in ("title", "detail") if body.get(key))
    return _NUMBERS.sub("#", f"{status} {detail}".strip())[:160]


class StaffUser(HttpUser):
    abstract = True
    username: ClassVar[str]

    def on_start(self) -> None:
        self.rng = random.Random()
        self.clinic: Clinic = clinic()
        self.workstation = self.clinic.workstation()
        self.csrf = ""
        self.sign_in()

    def sign_in(self) -> bool:
        reply = self.call(
            "POST",
            "/auth/login",
            json={"username": self.username, "password": demo_password()},
            signing_in=True,
        )
        self.csrf = str(reply.body.get("csrf_token", "")) if reply else ""
        return bool(self.csrf)

    def think(self, low: float, high: float) -> None:
        """The person reads, types or talks; the server sees nothing from this user meanwhile. (Locust has
        monkey-patched time.sleep: it yields to the other users.)"""
        time.sleep(self.rng.uniform(low, high))

    def call(
        self,
        method: str,
        path: str,
        *,
        name: str | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        ok: tuple[int, ...] = (200, 201),
        answered: tuple[int, ...] = (),
        signing_in: bool = False,
    ) -> Reply | None:
        """One API request under /api/v1, statistics grouped by `name` (the route template). A status in `ok` or
        `answered` (an expected refusal, e.g. 409 "nobody waiting") counts as success and returns the reply;
        anything else is a failure with its reason, and None. A lost session is re-opened for the next task."""
        headers = {"X-Forwarded-For": self.workstation, "Accept-Language": "en"}
        if method not in SAFE_METHODS and not signing_in:
            headers["X-CSRF-Token"] = self.csrf
        with self.client.request(
            method,
            API + path,
            name=API + (name or path),
            params=params,
            json=json,
            headers=headers,
            catch_response=True,
        ) as response:
            try:
                body = response.json() if response.content else None
            except ValueError:
                response.failure(f"{response.status_code} answer is not JSON")
                return None
            if response.status_code in ok or response.status_code in answered:
                response.success()
                return Reply(response.status_code, body)
            if response.status_code == 0:  # no HTTP answer: refused, reset or timed out connection
                response.failure(f"no answer: {type(response.error).__name__}: {response.error}"[:160])
            else:
                response.failure(failure_reason(response.status_code, body))
        if response.status_code == 401 and not signing_in:
            self.sign_in()
        return None

    def get(self, path: str, *, name: str | None = None, **params: Any) -> Any:
        """A read that must succeed: its JSON body, or None (the failure is recorded)."""
        reply = self.call("GET", path, name=name, params=params or None, ok=(200,))
        return reply.body if reply else None

    def signed_in(self) -> bool:
        """Tasks start here: a user whose sign-in failed tries again instead of sending anonymous requests."""
        return bool(self.csrf) or self.sign_in()
