"""Tables of the queues module (prefix queues_). Private to the module."""

from __future__ import annotations
