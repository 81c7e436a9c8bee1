"""Tables of the appointments module (prefix appointments_). Private to the module."""

from __future__ import annotations
