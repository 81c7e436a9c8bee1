"""The pharmacy's HTTP tests run on a fixed day, so that expiry dates in them mean the same every day."""

from __future__ import annotations

import asyncio

import pytest
from litestar import Litestar

from his.app import create_app, installed_modules
from his.kernel.runtime import build_kernel
from his.settings import Settings
from tests.pharmacy.support import clock, prepare


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings, clock=clock())


async def _prepare(settings: Settings) -> None:
    kernel = build_kernel(settings, installed_modules(), clock())
    try:
        await prepare(kernel)
    finally:
        await kernel.db.dispose()


@pytest.fixture
def catalog_and_warehouses(settings: Settings) -> None:
    asyncio.run(_prepare(settings))
