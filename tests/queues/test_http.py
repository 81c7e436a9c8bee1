"""Queues over HTTP: the public kiosk and display, staff-only counters, the SSE feed, refusals in Vietnamese."""

from __future__ import annotations

import asyncio
import json

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from his.app import installed_modules
from his.kernel.runtime import build_kernel
from his.settings import Settings
from tests.conftest import login
from tests.queues.conftest import Points, set_up_points

pytestmark = pytest.mark.criterion(44)


@pytest.fixture
def hall(client: TestClient[Litestar], settings: Settings) -> Points:
    async def build() -> Points:
        kernel = build_kernel(settings, installed_modules())
        try:
            return await set_up_points(kernel)
        finally:
            await kernel.db.dispose()

    return asyncio.run(build())


def take(client: TestClient[Litestar], point: str, priority: str = "normal") -> dict[str, object]:
    response = client.post(
        "/api/v1/queues/kiosk/tickets", json={"service_point_code": point, "priority_code": priority}
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def sse_events(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            if name in ("id", "event", "data"):
                fields[name] = value
        if fields:
            events.append(fields)
    return events


def test_kiosk_ticket_without_signing_in_then_a_counter_calls_it(client: TestClient[Litestar], hall: Points) -> None:
    first = take(client, hall.reception)
    second = take(client, hall.reception, "elderly")
    assert first["people_ahead"] == 0 and second["people_ahead"] == 0  # the elderly go first
    assert first["ticket"]["label"] == "A001"  # type: ignore[index]
    slip = client.get(f"/queues/tickets/{first['ticket']['id']}/slip")  # type: ignore[index]
    assert slip.status_code == 200 and "A001" in slip.text and "Tiếp đón" in slip.text
    assert "Số người chờ trước bạn: 1" in slip.text  # the elderly ticket is now ahead
    # Calling needs a member of staff.
    assert client.post(f"/api/v1/queues/counters/{hall.desk_one}/call-next").status_code == 401
    csrf = login(client, "letan")
    called = client.post(f"/api/v1/queues/counters/{hall.desk_one}/call-next", headers={"x-csrf-token": csrf})
    assert called.status_code == 200 and called.json()["label"] == "A002"
    board = client.get("/api/v1/queues/display/board", params={"points": hall.reception}).json()
    assert board["called"][0]["label"] == "A002" and board["lines"][0]["next_labels"] == ["A001"]


def test_the_stream_sends_the_board_and_the_calls_since_the_last_seen_event(
    client: TestClient[Litestar], hall: Points
) -> None:
    take(client, hall.reception)
    csrf = login(client, "letan")
    client.post(f"/api/v1/queues/counters/{hall.desk_two}/call-next", headers={"x-csrf-token": csrf})
    client.cookies.clear()
    response = client.get(
        "/api/v1/queues/display/stream",
        params={"max_seconds": 1, "lang": "vi"},
        headers={"last-event-id": "1"},
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert [(e["event"], e["id"]) for e in events] == [("call", "2"), ("board", "2")]
    assert json.loads(events[0]["data"])["announcement"] == "Mời số A 1 đến quầy 2"


def test_counter_page_with_keyboard_buttons_and_form_actions(client: TestClient[Litestar], hall: Points) -> None:
    take(client, hall.reception)
    take(client, hall.reception)
    csrf = login(client, "letan")
    page = client.get(f"/queues/counters/{hall.desk_one}")
    assert page.status_code == 200 and 'data-key="n"' in page.text
    done = client.post(f"/queues/counters/{hall.desk_one}/call-next", data={"_csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(f"/queues/counters/{hall.desk_one}")
    assert 'data-testid="counter-current">A001<' in page.text and 'data-key="s"' in page.text
    ticket_id = client.get(f"/api/v1/queues/points/{hall.reception}/tickets").json()[0]["id"]
    client.post(f"/queues/counters/{hall.desk_one}/tickets/{ticket_id}/skip", data={"_csrf": csrf})
    skipped = client.get(f"/api/v1/queues/points/{hall.reception}/tickets").json()[0]
    assert skipped["status"] == "skipped"
    recalled = client.post(
        f"/api/v1/queues/tickets/{ticket_id}/recall",
        json={"counter_code": hall.desk_one},
        headers={"x-csrf-token": csrf},
    )
    assert recalled.status_code == 200 and recalled.json()["call_count"] == 2
    assert client.get("/queues").status_code == 200


def test_public_pages_need_no_sign_in(client: TestClient[Litestar], hall: Points) -> None:
    kiosk = client.get("/queues/kiosk")
    assert kiosk.status_code == 200 and 'data-point="TD"' in kiosk.text and "Người trên 80 tuổi" in kiosk.text
    display = client.get("/queues/display", params={"points": "TD,TN"})
    assert display.status_code == 200 and "Đang gọi" in display.text
    assert client.get("/queues").status_code in (302, 303, 401)


def test_bad_input_is_a_4xx_in_vietnamese(client: TestClient[Litestar], hall: Points) -> None:
    unknown = client.post("/api/v1/queues/kiosk/tickets", json={"service_point_code": "NOPE"})
    assert unknown.status_code == 422 and unknown.json()["detail"] == "Không có điểm phục vụ NOPE"
    vip = client.post(
        "/api/v1/queues/kiosk/tickets", json={"service_point_code": hall.reception, "priority_code": "vip"}
    )
    assert vip.status_code == 422 and "Nhóm ưu tiên không hợp lệ" in vip.json()["detail"]
    assert client.post("/api/v1/queues/kiosk/tickets", json={"oops": 1}).status_code == 400
    csrf = login(client, "letan")
    empty = client.post(f"/api/v1/queues/counters/{hall.till}/call-next", headers={"x-csrf-token": csrf})
    assert empty.status_code == 404 and empty.json()["detail"] == "Không còn ai chờ tại Thu ngân"
    ticket = take(client, hall.reception)["ticket"]
    served = client.post(f"/api/v1/queues/tickets/{ticket['id']}/serve", headers={"x-csrf-token": csrf})  # type: ignore[index]
    assert served.status_code == 409 and "Chỉ số đang được gọi" in served.json()["detail"]


def test_only_administrators_set_up_service_points(client: TestClient[Litestar], hall: Points) -> None:
    body = {"name": "Nhà thuốc", "kind": "pharmacy", "prefix": "c"}
    csrf = login(client, "letan")
    assert client.put("/api/v1/queues/points/NT", json=body, headers={"x-csrf-token": csrf}).status_code == 403
    client.cookies.clear()
    csrf = login(client, "admin")
    created = client.put("/api/v1/queues/points/NT", json=body, headers={"x-csrf-token": csrf})
    assert created.status_code == 200 and created.json()["prefix"] == "C"
    counter = client.put(
        "/api/v1/queues/counters/NT1",
        json={"label": "quầy phát thuốc", "service_point_code": "NT"},
        headers={"x-csrf-token": csrf},
    )
    assert counter.status_code == 200
    bad = client.put("/api/v1/queues/points/NT", json={**body, "kind": "spa"}, headers={"x-csrf-token": csrf})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kind"
    listed = client.get("/api/v1/queues/points").json()
    assert [c["code"] for p in listed if p["code"] == "NT" for c in p["counters"]] == ["NT1"]
