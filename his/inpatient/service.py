"""Use cases of the inpatient module: the only code that writes its tables."""

from __future__ import annotations
