"""Tables of the statistics module (prefix statistics_). Private to the module."""

from __future__ import annotations
