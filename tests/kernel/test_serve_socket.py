"""`his serve` listens on a socket whose connections have Nagle's algorithm off (TCP_NODELAY).

asyncio disables Nagle only on connections of a socket whose proto is IPPROTO_TCP; uvicorn's multi-worker socket has
proto 0, and with Nagle on, a response written in two parts waits for the client's delayed ACK: 40 ms on every request
of a keep-alive connection (seen in the Locust runs, docs/performance.md)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from his.cli import listening_socket


async def _server_side_nodelay(sock: socket.socket) -> int:
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted = writer.get_extra_info("socket")
        seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(accept, sock=sock)
    host, port = sock.getsockname()[:2]
    try:
        _reader, writer = await asyncio.open_connection(host, port)
        value = await asyncio.wait_for(seen, 5)
        writer.close()
        return value
    finally:
        server.close()
        await server.wait_closed()


def test_connections_of_the_serve_socket_have_nagle_off() -> None:
    assert asyncio.run(_server_side_nodelay(listening_socket("127.0.0.1", 0))) != 0


def test_a_plain_socket_would_leave_nagle_on() -> None:
    """The cause, kept as a test: if asyncio ever sets TCP_NODELAY on every socket, this fails and the workaround
    in his/cli.py can go."""
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.bind(("127.0.0.1", 0))
    assert asyncio.run(_server_side_nodelay(plain)) == 0


def test_a_port_in_use_is_refused() -> None:
    taken = listening_socket("127.0.0.1", 0)
    taken.listen()
    with pytest.raises(OSError):
        listening_socket("127.0.0.1", taken.getsockname()[1])
    taken.close()
