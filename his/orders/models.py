"""Tables of the orders module (prefix orders_). Private to the module."""

from __future__ import annotations
