"""The administration pages and the audit history page, through HTML forms, on both databases."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import datetime, timedelta
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient

from his.kernel.http_admin import AUDIT_PAGE_SIZE, local_zone
from tests.conftest import login

HTML = {"accept": "text/html"}
HTMX = {"HX-Request": "true", "HX-Target": "audit-results"}
GOOD_PASSWORD = "Khoa@Noi2026"
ADMIN_PAGES = (
    "/admin/users",
    "/admin/users/admin",
    "/admin/roles",
    "/admin/tokens",
    "/admin/hospital",
    "/audit",
)


def submit(
    client: TestClient[Litestar],
    url: str,
    csrf: str | None,
    fields: dict[str, Any],
    files: dict[str, Any] | None = None,
) -> Response:
    """Posts a form as a browser does (no CSRF header: the token travels in the `_csrf` field)."""
    data = dict(fields)
    if csrf is not None:
        data["_csrf"] = csrf
    return client.post(url, data=data, files=files, headers=HTML, follow_redirects=False)


def api_users(client: TestClient[Litestar]) -> dict[str, dict[str, Any]]:
    return {u["username"]: u for u in client.get("/api/v1/users").json()}


def audit_items(client: TestClient[Litestar], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/audit", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def page_rows(html: str) -> list[dict[str, str]]:
    """The audit table's rows as {column: text}."""
    columns = ("at", "username", "role", "action", "object", "patient", "ip", "request", "outcome")
    rows = []
    for row in re.findall(r'<tr data-audit-id="\d+">(.*?)</tr>', html, re.S):
        cells = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append({name: " ".join(cell) for name, cell in zip(columns, cells, strict=True)})
    return rows


def tiny_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------- users


@pytest.mark.criterion(30, 116)
def test_create_user_through_the_form(client: TestClient[Litestar]) -> None:
    csrf = login(client, "admin")
    form = client.get("/admin/users", headers=HTML)
    assert form.status_code == 200
    assert 'name="_csrf"' in form.text and "Thêm người dùng" in form.text
    response = submit(
        client,
        "/admin/users",
        csrf,
        {
            "username": "BSMoi",
            "full_name": "BS. Nguyễn Văn Mới",
            "staff_code": "NV0100",
            "roles": ["doctor", "nurse"],
            "password": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users/bsmoi?notice=created"
    page = client.get(response.headers["location"], headers=HTML)
    assert "BS. Nguyễn Văn Mới" in page.text
    assert "Đã tạo tài khoản người dùng." in page.text
    assert api_users(client)["bsmoi"]["roles"] == ["doctor", "nurse"]
    listing = client.get("/admin/users", headers=HTML).text
    assert 'data-username="bsmoi"' in listing and "Bác sĩ, Điều dưỡng" in listing
    created = audit_items(client, action="user.create")
    assert [(r["username"], r["object_id"], r["detail"]) for r in created] == [("admin", "bsmoi", "doctor,nurse")]
    login(client, "bsmoi", GOOD_PASSWORD)


@pytest.mark.criterion(30, 114)
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": "moi", "password": "Ab@1"}, "password", "Mật khẩu phải có ít nhất 10 ký tự"),
        ({"username": "letan", "password": GOOD_PASSWORD}, "username", "Tên đăng nhập letan đã được sử dụng"),
        ({"username": "ten sai!", "password": GOOD_PASSWORD}, "username", "Tên đăng nhập chỉ gồm chữ cái"),
        (
            {"username": "moi", "password": GOOD_PASSWORD, "roles": ["surgeon"]},
            "roles",
            "Vai trò không tồn tại",
        ),
    ],
    ids=["short-password", "duplicate-username", "bad-username", "unknown-role"],
)
def test_bad_user_input_shows_the_error_next_to_the_field(
    client: TestClient[Litestar], fields: dict[str, Any], field: str, message: str
) -> None:
    csrf = login(client, "admin")
    before = api_users(client)
    response = submit(client, "/admin/users", csrf, {"full_name": "Người Thử", "roles": ["nurse"], **fields})
    assert response.status_code == 422
    assert re.search(rf'<small class="field-error" id="error-{field}" role="alert">{message}', response.text)
    assert f'aria-describedby="error-{field}"' in response.text
    assert 'value="Người Thử"' in response.text  # what was typed is kept ...
    assert fields["password"] not in response.text  # ... except the password
    assert api_users(client) == before
    assert audit_items(client, action="user.create") == []


@pytest.mark.criterion(30, 116)
def test_change_roles_disable_enable_and_reset_password(client: TestClient[Litestar]) -> None:
    for _ in range(5):  # the lockout threshold
        client.post("/api/v1/auth/login", json={"username": "bacsi", "password": "not the password"})
    csrf = login(client, "admin")
    assert api_users(client)["bacsi"]["locked"] is True
    assert "Tạm khóa" in client.get("/admin/users/bacsi", headers=HTML).text

    changed = submit(client, "/admin/users/bacsi", csrf, {"full_name": "BS. Lê Văn An", "roles": ["doctor", "auditor"]})
    assert (changed.status_code, changed.headers["location"]) == (303, "/admin/users/bacsi?notice=saved")
    assert api_users(client)["bacsi"]["roles"] == ["auditor", "doctor"]
    refused = submit(client, "/admin/users/bacsi", csrf, {"full_name": "BS. Lê Văn An", "roles": ["wizard"]})
    assert refused.status_code == 422 and 'id="error-roles"' in refused.text
    assert api_users(client)["bacsi"]["roles"] == ["auditor", "doctor"]

    weak = submit(client, "/admin/users/bacsi/password", csrf, {"password": "bacsi12345"})
    assert weak.status_code == 422 and 'id="error-password"' in weak.text
    assert api_users(client)["bacsi"]["locked"] is True
    reset = submit(client, "/admin/users/bacsi/password", csrf, {"password": GOOD_PASSWORD})
    assert reset.headers["location"] == "/admin/users/bacsi?notice=password"
    assert api_users(client)["bacsi"]["locked"] is False

    disabled = submit(client, "/admin/users/bacsi/active", csrf, {"active": "0"})
    assert disabled.headers["location"] == "/admin/users/bacsi?notice=disabled"
    assert api_users(client)["bacsi"]["is_active"] is False
    page = client.get(disabled.headers["location"], headers=HTML).text
    assert "Đã vô hiệu hóa" in page and "Kích hoạt lại tài khoản" in page
    enabled = submit(client, "/admin/users/bacsi/active", csrf, {"active": "1"})
    assert enabled.headers["location"] == "/admin/users/bacsi?notice=enabled"
    assert api_users(client)["bacsi"]["is_active"] is True

    self_disable = submit(client, "/admin/users/admin/active", csrf, {"active": "0"})
    assert self_disable.status_code == 422 and "Bạn không thể tự vô hiệu hóa" in self_disable.text
    assert api_users(client)["admin"]["is_active"] is True
    assert client.get("/admin/users/nobody", headers=HTML).status_code == 404

    actions = [(r["action"], r["object_id"], r["detail"]) for r in audit_items(client, action="user.")]
    assert actions == [
        ("user.update", "bacsi", "active=True"),
        ("user.update", "bacsi", "active=False"),
        ("user.reset_password", "bacsi", None),
        ("user.update", "bacsi", "roles=auditor,doctor"),
    ]
    login(client, "bacsi", GOOD_PASSWORD)


# ---------------------------------------------------------------- roles


@pytest.mark.criterion(30, 114)
def test_role_matrix_saves_one_role_at_a_time(client: TestClient[Litestar]) -> None:
    csrf = login(client, "admin")
    page = client.get("/admin/roles", headers=HTML)
    assert page.status_code == 200
    assert 'form="form-role-receptionist"' in page.text
    assert "Xem lịch sử thao tác" in page.text and "Lễ tân" in page.text  # translated descriptions and roles
    before = {r["code"]: r["permissions"] for r in client.get("/api/v1/roles").json()}
    assert "audit.read" not in before["receptionist"]

    saved = submit(client, "/admin/roles/receptionist", csrf, {"permissions": [*before["receptionist"], "audit.read"]})
    assert saved.status_code == 303 and saved.headers["location"].startswith("/admin/roles?notice=role")
    after = {r["code"]: r["permissions"] for r in client.get("/api/v1/roles").json()}
    assert after["receptionist"] == sorted({*before["receptionist"], "audit.read"})
    assert {k: v for k, v in after.items() if k != "receptionist"} == {
        k: v for k, v in before.items() if k != "receptionist"
    }

    refused = submit(client, "/admin/roles/admin", csrf, {"permissions": ["audit.read"]})
    assert refused.status_code == 422
    assert "Vai trò quản trị phải giữ quyền quản lý người dùng và vai trò" in refused.text
    assert {r["code"]: r["permissions"] for r in client.get("/api/v1/roles").json()}["admin"] == before["admin"]
    assert submit(client, "/admin/roles/wizard", csrf, {"permissions": []}).status_code == 404
    assert [r["object_id"] for r in audit_items(client, action="role.update")] == ["receptionist"]

    login(client, "letan")
    assert client.get("/audit", headers=HTML).status_code == 200  # the saved grant takes effect


# ---------------------------------------------------------------- API tokens


@pytest.mark.criterion(114)
def test_token_secret_is_shown_once_and_works_within_its_scopes(client: TestClient[Litestar]) -> None:
    csrf = login(client, "admin")
    missing_scope = submit(client, "/admin/tokens", csrf, {"name": "PACS", "username": "admin", "valid_days": "30"})
    assert missing_scope.status_code == 422 and 'id="error-scopes"' in missing_scope.text
    bad_days = submit(
        client,
        "/admin/tokens",
        csrf,
        {"name": "PACS", "username": "admin", "scopes": ["audit.read"], "valid_days": "abc"},
    )
    assert bad_days.status_code == 422 and 'id="error-valid_days"' in bad_days.text
    no_owner = submit(
        client,
        "/admin/tokens",
        csrf,
        {"name": "PACS", "username": "ghost", "scopes": ["audit.read"], "valid_days": "30"},
    )
    assert no_owner.status_code == 422 and 'id="error-username"' in no_owner.text
    assert client.get("/api/v1/tokens").json() == []

    issued = submit(
        client,
        "/admin/tokens",
        csrf,
        {"name": "Báo cáo", "username": "admin", "scopes": ["audit.read"], "valid_days": "30"},
    )
    assert issued.status_code == 200
    found = re.search(r'id="token-secret"[^>]*value="(his_[^"]+)"', issued.text)
    assert found is not None
    secret = found.group(1)
    listing = client.get("/admin/tokens", headers=HTML).text
    assert secret not in listing and secret[:12] in listing  # afterwards only the prefix

    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/audit", headers=bearer).status_code == 200  # within its scope
    assert client.get("/api/v1/users", headers=bearer).status_code == 403  # its owner may, the token may not

    # A token never does more than its owner: letan cannot read the audit history, nor can his token.
    owned = submit(
        client,
        "/admin/tokens",
        csrf,
        {"name": "Quầy", "username": "letan", "scopes": ["audit.read"], "valid_days": ""},
    )
    letan_secret = re.search(r'value="(his_[^"]+)"', owned.text)
    assert letan_secret is not None
    assert client.get("/api/v1/audit", headers={"Authorization": f"Bearer {letan_secret.group(1)}"}).status_code == 403

    token_id = next(t["id"] for t in client.get("/api/v1/tokens").json() if t["name"] == "Báo cáo")
    revoked = submit(client, f"/admin/tokens/{token_id}/revoke", csrf, {})
    assert revoked.headers["location"] == "/admin/tokens?notice=revoked"
    assert client.get("/api/v1/audit", headers=bearer).status_code == 401
    assert "Đã thu hồi" in client.get("/admin/tokens", headers=HTML).text
    assert [r["action"] for r in audit_items(client, action="token.")] == [
        "token.revoke",
        "token.issue",
        "token.issue",
    ]


# ---------------------------------------------------------------- hospital configuration


@pytest.mark.criterion(30)
def test_hospital_configuration_and_logo(client: TestClient[Litestar]) -> None:
    csrf = login(client, "admin")
    before = client.get("/api/v1/config/hospital").json()
    no_file = {"logo": ("", b"", "application/octet-stream")}
    fields = {
        "name": "Bệnh viện Đa khoa Huyện Thử",
        "address": "02 Lê Lợi",
        "phone": "0270 3822 111",
        "head_insurance_number": "7912345678",
    }

    bad_code = submit(client, "/admin/hospital", csrf, {**fields, "facility_code": "7900"}, files=no_file)
    assert bad_code.status_code == 422
    assert "Mã cơ sở KCB (MACSKCB) phải gồm đúng 5 chữ số" in bad_code.text
    described = 'aria-describedby="hospital-code-help error-facility_code"'
    assert re.search(rf'<input id="hospital-code"[^>]*aria-invalid="true"[^>]*{described}', bad_code.text)
    assert client.get("/api/v1/config/hospital").json() == before

    not_image = {"logo": ("logo.png", b"<html>not an image</html>", "image/png")}
    refused = submit(client, "/admin/hospital", csrf, {**fields, "facility_code": "79001"}, files=not_image)
    assert refused.status_code == 422 and 'id="error-logo"' in refused.text
    too_big = {"logo": ("logo.png", tiny_png() + b"\0" * (512 * 1024), "image/png")}
    refused = submit(client, "/admin/hospital", csrf, {**fields, "facility_code": "79001"}, files=too_big)
    assert refused.status_code == 422 and "Logo phải nhỏ hơn 512 KB" in refused.text
    assert client.get("/hospital/logo").status_code == 404
    bad_signer = {**fields, "facility_code": "79001", "head_insurance_number": "79123"}
    refused = submit(client, "/admin/hospital", csrf, bad_signer, files=no_file)
    assert (
        refused.status_code == 422 and "Mã số BHXH của thủ trưởng đơn vị (MA_TTDV) gồm đúng 10 chữ số" in refused.text
    )
    assert client.get("/api/v1/config/hospital").json() == before

    png = tiny_png()
    saved = submit(
        client,
        "/admin/hospital",
        csrf,
        {**fields, "facility_code": "79001"},
        files={"logo": ("logo.png", png, "image/png")},
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/admin/hospital?notice=hospital")
    logo = client.get("/hospital/logo")
    assert logo.status_code == 200 and logo.content == png and logo.headers["content-type"] == "image/png"
    assert client.get("/api/v1/config/hospital").json() == {
        **fields,
        "facility_code": "79001",
        "has_logo": True,
    }
    page = client.get("/admin/hospital?notice=hospital", headers=HTML).text
    assert "Đã lưu cấu hình bệnh viện." in page and 'src="/hospital/logo"' in page
    assert "Bệnh viện Đa khoa Huyện Thử" in page

    # Saving again without a file keeps the logo.
    submit(client, "/admin/hospital", csrf, {**fields, "facility_code": "79002"}, files=no_file)
    assert client.get("/hospital/logo").content == png
    details = [r["detail"] for r in audit_items(client, action="config.update")]
    assert details == [
        "Bệnh viện Đa khoa Huyện Thử; 79002; MA_TTDV 7912345678",
        "Bệnh viện Đa khoa Huyện Thử; 79001; MA_TTDV 7912345678; logo",
    ]


# ---------------------------------------------------------------- audit history


@pytest.mark.criterion(94, 116)
def test_audit_page_filters_by_user_and_action(client: TestClient[Litestar]) -> None:
    login(client, "letan")
    login(client, "admin")
    by_user = client.get("/audit", params={"username": "letan"}, headers=HTML)
    assert by_user.status_code == 200
    rows = page_rows(by_user.text)
    assert rows and {r["username"] for r in rows} == {"letan"}
    assert rows[0]["action"] == "auth.login" and rows[0]["outcome"] == "Thành công"

    by_action = page_rows(client.get("/audit", params={"action": "auth."}, headers=HTML).text)
    assert {r["action"] for r in by_action} == {"auth.login"} and {r["username"] for r in by_action} >= {
        "letan",
        "admin",
    }

    # Times are shown in Viet Nam time.
    newest = audit_items(client, username="letan")[0]
    shown = page_rows(client.get("/audit", params={"username": "letan"}, headers=HTML).text)[0]["at"]
    expected = datetime.fromisoformat(newest["at"]).astimezone(local_zone()).strftime("%Y-%m-%d %H:%M:%S")
    assert shown == expected

    # A time range: tomorrow holds nothing yet; today holds the sign-ins.
    today = datetime.now(local_zone()).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    empty = client.get("/audit", params={"username": "letan", "since": tomorrow}, headers=HTML)
    assert page_rows(empty.text) == [] and "Không có bản ghi nào khớp với bộ lọc." in empty.text
    ranged = client.get(
        "/audit",
        params={"username": "letan", "since": today.isoformat(), "until": today.isoformat()},
        headers=HTML,
    )
    assert len(page_rows(ranged.text)) == 1
    bad = client.get("/audit", params={"since": "05/01/2026"}, headers=HTML)
    assert bad.status_code == 422 and "Nhập ngày theo dạng YYYY-MM-DD" in bad.text
    backwards = client.get("/audit", params={"since": tomorrow, "until": today.isoformat()}, headers=HTML)
    assert backwards.status_code == 422

    # htmx asks for the table only.
    fragment = client.get("/audit", params={"username": "letan"}, headers=HTMX)
    assert fragment.status_code == 200
    assert fragment.text.startswith('<section id="audit-results"') and "<html" not in fragment.text
    assert {r["username"] for r in page_rows(fragment.text)} == {"letan"}

    # Reading the history is itself audited.
    reads = [r for r in audit_items(client, action="audit.read") if r["username"] == "admin"]
    assert "username=letan" in (reads[-1]["detail"] or "")
    assert any(r["detail"] == "action=auth." for r in reads)


@pytest.mark.criterion(116)
def test_audit_page_is_paginated(client: TestClient[Litestar]) -> None:
    login(client, "admin")
    for _ in range(AUDIT_PAGE_SIZE + 5):
        assert client.get("/api/v1/audit", params={"limit": 1}).status_code == 200
    first = client.get("/audit", params={"action": "audit.read"}, headers=HTML)
    assert len(page_rows(first.text)) == AUDIT_PAGE_SIZE
    assert "Trang 1/2" in first.text and 'href="/audit?action=audit.read&amp;page=2"' in first.text
    second = client.get("/audit", params={"action": "audit.read", "page": 2}, headers=HTML)
    # the 55 API reads, plus the first page's own read
    assert len(page_rows(second.text)) == 6 and 'rel="prev"' in second.text


# ---------------------------------------------------------------- access control


@pytest.mark.criterion(114)
def test_receptionist_is_refused_every_admin_page(client: TestClient[Litestar]) -> None:
    csrf = login(client, "letan")
    for path in ADMIN_PAGES:
        response = client.get(path, headers=HTML)
        assert response.status_code == 403, path
        assert "Bạn không có quyền thực hiện thao tác này" in response.text
    posts = {
        "/admin/users": {
            "username": "hacker",
            "full_name": "X",
            "password": GOOD_PASSWORD,
            "roles": ["admin"],
        },
        "/admin/users/letan": {"full_name": "Trần Thị Lễ Tân", "roles": ["admin"]},
        "/admin/roles/receptionist": {"permissions": ["admin.users"]},
        "/admin/tokens": {"name": "x", "username": "letan", "scopes": ["admin.users"]},
    }
    for path, fields in posts.items():
        assert submit(client, path, csrf, fields).status_code == 403, path
    assert (
        submit(
            client,
            "/admin/hospital",
            csrf,
            {"name": "X", "facility_code": "12345"},
            files={"logo": ("", b"", "application/octet-stream")},
        ).status_code
        == 403
    )
    login(client, "admin")
    assert "hacker" not in api_users(client) and api_users(client)["letan"]["roles"] == ["receptionist"]
    denied = [r for r in audit_items(client, action="access.denied") if r["username"] == "letan"]
    assert len(denied) == len(ADMIN_PAGES) + len(posts) + 1


@pytest.mark.criterion(114)
def test_a_form_without_the_csrf_token_is_refused(client: TestClient[Litestar]) -> None:
    csrf = login(client, "admin")
    fields = {"username": "csrfvictim", "full_name": "X", "password": GOOD_PASSWORD, "roles": ["doctor"]}
    assert submit(client, "/admin/users", None, fields).status_code == 403
    assert submit(client, "/admin/users", csrf[::-1], fields).status_code == 403
    assert (
        submit(
            client,
            "/admin/hospital",
            None,
            {"name": "X", "facility_code": "12345"},
            files={"logo": ("", b"", "application/octet-stream")},
        ).status_code
        == 403
    )
    assert "csrfvictim" not in api_users(client)


def test_signed_out_visitors_are_sent_to_the_login_page(client: TestClient[Litestar]) -> None:
    response = client.get("/admin/users", headers=HTML, follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"] == "/login?next=/admin/users"
