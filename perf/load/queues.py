"""Queue load (HIS levels 2-5 issue, "Load"): ticket kiosks in the hall, staff calling numbers at counters, and
display screens holding the live feed. Add these users to perf/locustfile.py to include them in `make load`.

Numbers and codes come from the server's answers (the public display board names the service points; the
points list names the counters). The display user measures what matters on a screen: how long after the server
recorded a call the call reached the screen ("SSE call reaches display", milliseconds).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any, ClassVar

from load.clinic import clinic
from load.staff import API, StaffUser
from locust import HttpUser, between, task

STREAM_SECONDS = 60  # each display holds one stream this long, then reconnects (as the page's EventSource does)
PRIORITY_SHARE = 0.15  # about one ticket in seven is for an elderly person, a small child or a disabled person
PRIORITIES = ("elderly", "child", "disabled")


class QueueKiosk(HttpUser):
    """A ticket kiosk: no sign-in, someone takes a number every 5-20 s, mostly for reception."""

    weight = 2
    wait_time = between(5, 20)

    def on_start(self) -> None:
        self.rng = random.Random()
        self.workstation = clinic().workstation()  # each kiosk is its own device (per-address rate limit)
        self.points: list[str] = []

    def _headers(self) -> dict[str, str]:
        return {"X-Forwarded-For": self.workstation, "Accept-Language": "vi"}

    def _learn_points(self) -> None:
        with self.client.get(
            f"{API}/queues/display/board",
            name=f"{API}/queues/display/board",
            headers=self._headers(),
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return
            self.points = [line["service_point_code"] for line in response.json().get("lines", [])]

    @task
    def take_a_number(self) -> None:
        if not self.points:
            self._learn_points()
            if not self.points:
                return
        # Reception gets most people; the first point listed is the front desk in the demo hospital.
        point = self.points[0] if self.rng.random() < 0.6 else self.rng.choice(self.points)
        priority = self.rng.choice(PRIORITIES) if self.rng.random() < PRIORITY_SHARE else "normal"
        with self.client.post(
            f"{API}/queues/kiosk/tickets",
            name=f"{API}/queues/kiosk/tickets",
            json={"service_point_code": point, "priority_code": priority},
            headers=self._headers(),
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                response.success()
            elif response.status_code == 409:  # the service point closed meanwhile: forget the list
                response.success()
                self.points = []
            else:
                response.failure(f"{response.status_code}")


class QueueCounter(StaffUser):
    """A member of staff at a counter: calls the next number, serves (20-90 s), sometimes skips an absent person
    and calls a skipped one again later."""

    username: ClassVar[str] = "letan"
    weight = 2
    wait_time = between(2, 8)

    def on_start(self) -> None:
        super().on_start()
        self.counter = ""
        if not self.signed_in():
            return
        points = self.get("/queues/points") or []
        counters = [c["code"] for p in points for c in p.get("counters", [])]
        if counters:
            self.counter = self.rng.choice(counters)

    @task
    def next_number(self) -> None:
        if not self.signed_in() or not self.counter:
            return
        reply = self.call(
            "POST",
            f"/queues/counters/{self.counter}/call-next",
            name="/queues/counters/{code}/call-next",
            answered=(404,),  # nobody waiting
        )
        if reply is None or reply.status != 200:
            self.think(5, 10)
            return
        ticket_id = int(reply.body["id"])
        if self.rng.random() < 0.1:  # nobody came: set aside, called again a little later
            self.think(10, 20)
            self.call("POST", f"/queues/tickets/{ticket_id}/skip", name="/queues/tickets/{id}/skip")
            self.think(10, 30)
            recalled = self.call(
                "POST",
                f"/queues/tickets/{ticket_id}/recall",
                name="/queues/tickets/{id}/recall",
                json={"counter_code": self.counter},
                answered=(409,),
            )
            if recalled is None or recalled.status != 200:
                return
        self.think(20, 90)  # serving the person
        self.call("POST", f"/queues/tickets/{ticket_id}/serve", name="/queues/tickets/{id}/serve", answered=(409,))


class QueueDisplay(HttpUser):
    """A display screen: holds the Server-Sent Events stream for STREAM_SECONDS, then reconnects. Each call event
    is recorded with the time from the server's call to its arrival here."""

    weight = 1
    wait_time = between(0.5, 1.5)  # the page's EventSource reconnects after half a second

    def on_start(self) -> None:
        self.workstation = clinic().workstation()
        self.last_event_id = ""

    @task
    def watch(self) -> None:
        headers = {"X-Forwarded-For": self.workstation, "Accept": "text/event-stream"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        name = f"{API}/queues/display/stream"
        with self.client.get(
            name,
            name=name,
            params={"max_seconds": STREAM_SECONDS, "lang": "vi"},
            headers=headers,
            stream=True,
            catch_response=True,
            timeout=STREAM_SECONDS + 30,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return
            response.success()  # the request's time is the time to the first byte of the stream
            self._read(response)

    def _read(self, response: Any) -> None:
        event: dict[str, str] = {}
        for raw in response.iter_lines(decode_unicode=True):
            line = raw or ""
            if line:
                name, _, value = line.partition(": ")
                event[name] = value
                continue
            if event.get("id"):
                self.last_event_id = event["id"]
            if event.get("event") == "call" and "data" in event:
                self._record_call(json.loads(event["data"]))
            event = {}

    def _record_call(self, call: dict[str, Any]) -> None:
        called_at = datetime.fromisoformat(str(call["at"]).replace("Z", "+00:00"))
        latency_ms = max(0.0, (datetime.now(UTC) - called_at).total_seconds() * 1000)
        self.environment.events.request.fire(
            request_type="SSE",
            name="call reaches display",
            response_time=latency_ms,
            response_length=0,
            exception=None,
            context={},
        )
