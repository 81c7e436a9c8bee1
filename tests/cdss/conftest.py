"""Decision-support tests are pure: the knowledge is loaded once per test session, no database."""

from __future__ import annotations

import pytest

from cdss.api import Knowledge, load_knowledge


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()
