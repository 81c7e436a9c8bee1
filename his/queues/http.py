"""Queues over HTTP: the kiosk, the counter page, the display screen with its live feed, and the JSON API.

The kiosk and the display are devices in the hall without a staff login: their pages are public, and the only
write a public caller can make is taking a ticket (JSON, so a foreign web page cannot post it without CORS),
counted by the kernel's per-address API rate limit. Everything a member of staff does needs a permission.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post, put
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Redirect, ServerSentEvent, ServerSentEventMessage

from his.kernel.clock import local_date, vietnam_zone
from his.kernel.errors import DomainError, InvalidInput, NotFound
from his.kernel.runtime import Kernel
from his.kernel.web.context import context_of
from his.kernel.web.guard import public, requires
from his.kernel.web.render import render_fragment, render_page, translator_for
from his.queues import api, service
from his.queues.schemas import (
    BoardOut,
    CounterIn,
    CounterOut,
    IssuedTicketOut,
    KioskTicketIn,
    RecallIn,
    ServicePointIn,
    ServicePointOut,
    TicketOut,
)
from his.queues.stream import display_feed

SERVE = requires("queues.serve")
MANAGE = requires("queues.manage")
PUBLIC = public()
MAX_STREAM_SECONDS = 3600
# Short streams: the page reconnects at once (Last-Event-ID), and a server stopping waits for open streams.
DEFAULT_STREAM_SECONDS = 120
RECONNECT_MILLISECONDS = 500
PointsQuery = Annotated[str | None, QueryParameter(max_length=500)]


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


def _point_codes(points: str | None) -> list[str] | None:
    codes = [code.strip() for code in (points or "").split(",") if code.strip()]
    return codes or None


# ---------------------------------------------------------------- JSON API: configuration


@get("/points", opt=SERVE, summary="Service points with their counters")
async def api_points(request: Request[Any, Any, Any], include_closed: FromQuery[bool] = False) -> list[ServicePointOut]:
    async with _kernel(request).db.transaction() as session:
        return await api.service_points(session, active_only=not include_closed)


@put("/points/{code:str}", opt=MANAGE, summary="Create or change a service point")
async def api_put_point(
    request: Request[Any, Any, Any], code: FromPath[str], data: JSONBody[ServicePointIn]
) -> ServicePointOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        await service.upsert_service_point(
            session, kernel.clock, context_of(request).audit_actor(), code=code, data=data
        )
        points = await api.service_points(session, active_only=False)
    return next(p for p in points if p.code == code.strip())


@put("/counters/{code:str}", opt=MANAGE, summary="Create or change a counter of a service point")
async def api_put_counter(
    request: Request[Any, Any, Any], code: FromPath[str], data: JSONBody[CounterIn]
) -> CounterOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        await service.upsert_counter(session, kernel.clock, context_of(request).audit_actor(), code=code, data=data)
        return await api.get_counter(session, code=code.strip())


@post("/points/from-clinic-rooms", opt=MANAGE, status_code=200, summary="A queue for every catalogued clinic room")
async def api_points_from_rooms(request: Request[Any, Any, Any]) -> list[ServicePointOut]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        created = await service.points_from_clinic_rooms(session, kernel.clock, context_of(request).audit_actor())
        codes = {p.code for p in created}
        return [p for p in await api.service_points(session, active_only=False) if p.code in codes]


# ---------------------------------------------------------------- JSON API: tickets


@post("/kiosk/tickets", opt=PUBLIC, status_code=201, summary="Take a ticket (kiosk; no sign-in, rate-limited)")
async def api_kiosk_ticket(request: Request[Any, Any, Any], data: JSONBody[KioskTicketIn]) -> IssuedTicketOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        ticket = await service.issue_ticket(
            session,
            kernel.clock,
            context_of(request).audit_actor(),
            service_point_code=data.service_point_code,
            priority_code=data.priority_code,
        )
        return await api.issued(session, kernel.clock, ticket_id=ticket.id)


@get("/points/{code:str}/tickets", opt=SERVE, summary="Today's tickets of a service point, in call order")
async def api_point_tickets(request: Request[Any, Any, Any], code: FromPath[str]) -> list[TicketOut]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await api.day_tickets(session, service_point_code=code, day=local_date(kernel.clock.now()))


@post("/counters/{code:str}/call-next", opt=SERVE, status_code=200, summary="Call the next number to this counter")
async def api_call_next(request: Request[Any, Any, Any], code: FromPath[str]) -> TicketOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        ticket = await service.call_next(session, kernel.clock, context_of(request).audit_actor(), counter_code=code)
        return api.ticket_out(await service.get_point(session, ticket.service_point_code), ticket)


@post("/tickets/{ticket_id:int}/recall", opt=SERVE, status_code=200, summary="Call a number again (or a skipped one)")
async def api_recall(request: Request[Any, Any, Any], ticket_id: FromPath[int], data: JSONBody[RecallIn]) -> TicketOut:
    kernel = _kernel(request)
    actor = context_of(request).audit_actor()
    async with kernel.db.transaction() as session:
        ticket = await service.recall(session, kernel.clock, actor, ticket_id=ticket_id, counter_code=data.counter_code)
        return api.ticket_out(await service.get_point(session, ticket.service_point_code), ticket)


@post("/tickets/{ticket_id:int}/skip", opt=SERVE, status_code=200, summary="Set a called number aside")
async def api_skip(request: Request[Any, Any, Any], ticket_id: FromPath[int]) -> TicketOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        ticket = await service.skip(session, kernel.clock, context_of(request).audit_actor(), ticket_id=ticket_id)
        return api.ticket_out(await service.get_point(session, ticket.service_point_code), ticket)


@post("/tickets/{ticket_id:int}/serve", opt=SERVE, status_code=200, summary="Mark a called number as served")
async def api_serve(request: Request[Any, Any, Any], ticket_id: FromPath[int]) -> TicketOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        ticket = await service.serve(session, kernel.clock, context_of(request).audit_actor(), ticket_id=ticket_id)
        return api.ticket_out(await service.get_point(session, ticket.service_point_code), ticket)


# ---------------------------------------------------------------- JSON API: displays


@get("/display/board", opt=PUBLIC, summary="What a display shows now (numbers only, no personal data)")
async def api_board(request: Request[Any, Any, Any], points: PointsQuery = None) -> BoardOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await api.board(session, kernel.clock, point_codes=_point_codes(points))


@get("/display/stream", opt=PUBLIC, summary="Server-Sent Events: the board and every call, live")
async def api_stream(
    request: Request[Any, Any, Any],
    points: PointsQuery = None,
    max_seconds: Annotated[int, QueryParameter(ge=1, le=MAX_STREAM_SECONDS)] = DEFAULT_STREAM_SECONDS,
    last_event_id: Annotated[str | None, HeaderParameter(name="last-event-id", max_length=20)] = None,
    after: Annotated[int | None, QueryParameter(ge=0)] = None,
) -> ServerSentEvent:
    kernel = _kernel(request)
    gettext = translator_for(kernel, context_of(request))
    resume_after = int(last_event_id) if last_event_id and last_event_id.isdigit() else after

    async def messages() -> AsyncIterator[ServerSentEventMessage]:
        feed = display_feed(
            kernel, gettext, point_codes=_point_codes(points), resume_after=resume_after, max_seconds=max_seconds
        )
        first = True
        async for message in feed:
            if message.event == "ping":
                yield ServerSentEventMessage(comment="ping", data=None)
                continue
            retry = RECONNECT_MILLISECONDS if first else None
            first = False
            yield ServerSentEventMessage(data=message.data, event=message.event, id=message.id, retry=retry)

    return ServerSentEvent(messages(), headers={"x-accel-buffering": "no"})


# ---------------------------------------------------------------- pages for devices in the hall


@get("/queues/kiosk", opt=PUBLIC, include_in_schema=False)
async def kiosk_page(request: Request[Any, Any, Any], points: PointsQuery = None) -> Response[str]:
    kernel = _kernel(request)
    gettext = translator_for(kernel, context_of(request))
    async with kernel.db.transaction() as session:
        codes = _point_codes(points)
        service_points = [p for p in await api.service_points(session) if codes is None or p.code in codes]
        groups = await api.priority_groups(session, gettext)
    return await render_page(
        request,
        "queues/kiosk.html",
        points=service_points,
        groups=groups,
        back=request.url.path + (f"?{urlencode({'points': points})}" if points else ""),
    )


@get("/queues/tickets/{ticket_id:int}/slip", opt=PUBLIC, include_in_schema=False)
async def slip_page(
    request: Request[Any, Any, Any],
    ticket_id: FromPath[int],
    back: Annotated[str | None, QueryParameter(max_length=600)] = None,
) -> Response[str]:
    kernel = _kernel(request)
    gettext = translator_for(kernel, context_of(request))
    async with kernel.db.transaction() as session:
        issued = await api.issued(session, kernel.clock, ticket_id=ticket_id)
        groups = {g.code: g for g in await api.priority_groups(session, gettext)}
    # Only a path of this site: the slip must not become an open redirect.
    safe_back = back if back and back.startswith("/queues/kiosk") else "/queues/kiosk"
    return await render_page(
        request,
        "queues/slip.html",
        issued=issued,
        issued_time=issued.ticket.issued_at.astimezone(vietnam_zone()).strftime("%H:%M %d/%m/%Y"),
        group=groups.get(issued.ticket.priority_code),
        back=safe_back,
    )


@get("/queues/display", opt=PUBLIC, include_in_schema=False)
async def display_page(request: Request[Any, Any, Any], points: PointsQuery = None) -> Response[str]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        board = await api.board(session, kernel.clock, point_codes=_point_codes(points))
    return await render_page(request, "queues/display.html", board=board, points=points or "")


# ---------------------------------------------------------------- pages for staff


@get("/queues", opt=SERVE, include_in_schema=False)
async def home_page(request: Request[Any, Any, Any]) -> Response[str]:
    async with _kernel(request).db.transaction() as session:
        points = await api.service_points(session)
    return await render_page(request, "queues/home.html", points=points)


async def _counter_values(kernel: Kernel, code: str) -> dict[str, Any]:
    async with kernel.db.transaction() as session:
        counter = await api.get_counter(session, code=code)
        tickets = await api.day_tickets(
            session, service_point_code=counter.service_point_code, day=local_date(kernel.clock.now())
        )
        point = next(
            (p for p in await api.service_points(session, active_only=False) if p.code == counter.service_point_code),
            None,
        )
    current = [t for t in tickets if t.status == "called" and t.counter_code == counter.code]
    return {
        "counter": counter,
        "point": point,
        "current": max(current, key=lambda t: t.called_at or t.issued_at) if current else None,
        "waiting": [t for t in tickets if t.status == "waiting"],
        "skipped": [t for t in tickets if t.status == "skipped"],
        "served_count": sum(1 for t in tickets if t.status == "served"),
    }


@get("/queues/counters/{code:str}", opt=SERVE, include_in_schema=False)
async def counter_page(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    notice: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Response[str]:
    values = await _counter_values(_kernel(request), code)
    return await render_page(request, "queues/counter.html", notice=notice, **values)


@get("/queues/counters/{code:str}/panel", opt=SERVE, include_in_schema=False)
async def counter_panel(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[str]:
    values = await _counter_values(_kernel(request), code)
    return await render_fragment(request, "queues/_counter_lists.html", **values)


async def _counter_action(
    request: Request[Any, Any, Any], code: str, action: str, ticket_id: int | None
) -> Response[Any]:
    kernel = _kernel(request)
    actor = context_of(request).audit_actor()
    notice = ""
    try:
        async with kernel.db.transaction() as session:
            if action == "call-next":
                await service.call_next(session, kernel.clock, actor, counter_code=code)
            elif action == "recall" and ticket_id is not None:
                await service.recall(session, kernel.clock, actor, ticket_id=ticket_id, counter_code=code)
            elif action == "skip" and ticket_id is not None:
                await service.skip(session, kernel.clock, actor, ticket_id=ticket_id)
            elif action == "serve" and ticket_id is not None:
                await service.serve(session, kernel.clock, actor, ticket_id=ticket_id)
            else:
                raise InvalidInput("Unknown action")
    except NotFound:
        notice = "empty"
    except DomainError:
        notice = "conflict"
    query = f"?notice={notice}" if notice else ""
    return Redirect(f"/queues/counters/{code}{query}", status_code=303)


@post("/queues/counters/{code:str}/call-next", opt=SERVE, include_in_schema=False)
async def counter_call_next(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[Any]:
    return await _counter_action(request, code, "call-next", None)


@post("/queues/counters/{code:str}/tickets/{ticket_id:int}/{action:str}", opt=SERVE, include_in_schema=False)
async def counter_ticket_action(
    request: Request[Any, Any, Any], code: FromPath[str], ticket_id: FromPath[int], action: FromPath[str]
) -> Response[Any]:
    return await _counter_action(request, code, action, ticket_id)


def api_router() -> Router:
    return Router(
        path="/api/v1/queues",
        route_handlers=[
            api_points,
            api_put_point,
            api_put_counter,
            api_points_from_rooms,
            api_kiosk_ticket,
            api_point_tickets,
            api_call_next,
            api_recall,
            api_skip,
            api_serve,
            api_board,
            api_stream,
        ],
        tags=["queues"],
    )


PAGE_HANDLERS = (
    kiosk_page,
    slip_page,
    display_page,
    home_page,
    counter_page,
    counter_panel,
    counter_call_next,
    counter_ticket_action,
)
