"""Tables of the inpatient module (prefix inpatient_). Private to the module."""

from __future__ import annotations
