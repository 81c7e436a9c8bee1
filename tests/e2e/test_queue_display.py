"""Kiosk → display → counter in a real browser: a ticket taken at the kiosk, called at a counter, shown on the
display screen within one second of "call next" and read aloud (speech synthesis, recorded by the page)."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from his.kernel.demo import DEMO_PASSWORD
from tests.e2e.conftest import LiveServer, new_context, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.criterion(44)]

POINT = "E2E-TD"
COUNTER = "E2E-Q3"
# Records what the page asks the browser to say (headless Chromium has no voices to hear).
RECORD_SPEECH = """
window.__spoken = [];
if (window.speechSynthesis) {
  window.speechSynthesis.speak = function (utterance) { window.__spoken.push([utterance.text, utterance.lang]); };
}
"""


def set_up_queue(live_server: LiveServer) -> None:
    """The administrator sets up one service point with one counter through the JSON API."""
    with httpx.Client(base_url=live_server.url, timeout=15) as http:
        signed_in = http.post("/api/v1/auth/login", json={"username": "admin", "password": DEMO_PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        headers = {"x-csrf-token": signed_in.json()["csrf_token"]}
        point = {"name": "Tiếp đón E2E", "kind": "reception", "prefix": "A"}
        assert http.put(f"/api/v1/queues/points/{POINT}", json=point, headers=headers).status_code == 200
        counter = {"label": "Quầy 3", "service_point_code": POINT}
        assert http.put(f"/api/v1/queues/counters/{COUNTER}", json=counter, headers=headers).status_code == 200


def sign_in(page: Page, username: str) -> None:
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_kiosk_ticket_is_called_on_the_display_within_a_second(
    browser: Browser, live_server: LiveServer, page: Page, page_errors: list[str]
) -> None:
    set_up_queue(live_server)

    # The display screen in the hall, with its one set-up touch that allows the voice.
    hall = new_context(browser, live_server)
    display = hall.new_page()
    display.on("pageerror", lambda error: page_errors.append(f"display: {error}"))
    # The browser's own /favicon.ico request is a console error without a response event; any other failed
    # request of the page is caught by the response listener.
    display.on(
        "console",
        lambda m: (
            page_errors.append(f"display: {m.text}")
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    display.on("response", lambda r: page_errors.append(f"display: {r.status} {r.url}") if r.status >= 400 else None)
    display.add_init_script(RECORD_SPEECH)
    opened = display.goto(f"/queues/display?points={POINT}")
    assert opened is not None and opened.status == 200, opened.text()[:3000] if opened else "no answer"
    display.get_by_role("button", name="Bật loa gọi số").click()
    expect(display.locator("[data-live]")).to_be_visible()

    # The kiosk: touch the service, then "normal"; the slip shows the number.
    kiosk = hall.new_page()
    kiosk.goto(f"/queues/kiosk?points={POINT}")
    kiosk.get_by_test_id(f"kiosk-point-{POINT}").click()
    screenshot(kiosk, "queue-kiosk")
    kiosk.get_by_test_id("kiosk-priority-normal").click()
    expect(kiosk.get_by_test_id("slip-number")).to_have_text("A001")
    expect(kiosk.get_by_test_id("slip")).to_contain_text("Không có ai chờ trước bạn")
    screenshot(kiosk, "queue-slip")
    # The display already lists the number as next in line.
    expect(display.locator(f'[data-point="{POINT}"] .display-next')).to_have_text("A001")

    # The member of staff at counter 3 calls the next number.
    page.goto("/login")
    sign_in(page, "letan")
    page.goto("/queues")
    page.get_by_test_id(f"counter-link-{COUNTER}").click()
    clicked = time.monotonic()
    page.get_by_test_id("call-next").click()
    expect(display.get_by_test_id(f"called-{COUNTER}")).to_have_text("A001", timeout=1000)
    shown_after = time.monotonic() - clicked
    assert shown_after < 1.0, f"the display showed the call {shown_after:.2f} s after the click"
    expect(display.locator("[data-announce]")).to_have_text("Mời số A 1 đến Quầy 3")
    spoken = display.evaluate("window.__spoken")
    assert ["Mời số A 1 đến Quầy 3", "vi-VN"] in spoken
    expect(page.get_by_test_id("counter-current")).to_have_text("A001")
    screenshot(display, "queue-display")
    screenshot(page, "queue-counter")

    # Keyboard: S skips the number; the display stops showing it; the skipped list offers to call it again.
    page.keyboard.press("s")
    expect(page.get_by_test_id("counter-current")).to_have_text("—")
    expect(display.get_by_test_id(f"called-{COUNTER}")).to_have_count(0)
    page.get_by_role("button", name="Gọi lại").first.click()
    expect(display.get_by_test_id(f"called-{COUNTER}")).to_have_text("A001", timeout=1000)
    hall.close()
    assert page_errors == []
