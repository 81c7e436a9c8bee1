"""The one place the hospital meets the pure decision-support engine (`cdss.api`).

Everything the decision module asks of the engine goes through `Engine`: building the knowledge base with the
hospital's local rules, checking one prescription, screening many medication lists, resolving a substance.
Building the knowledge is the slow part, so an `Engine` (one per application) keeps the last one built, keyed by
the local rules it was built with: the rules are read from the database on every check, so two workers never
disagree on which rules apply, and the cache only spares rebuilding identical knowledge.
"""

from __future__ import annotations

import re
import string
import threading
from collections.abc import Sequence

from cdss import api as cdss


class Engine:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: tuple[tuple[cdss.LocalInteraction, ...], cdss.Knowledge] | None = None
        self._patterns: list[tuple[re.Pattern[str], str]] | None = None

    def msgid_of(self, text: str) -> tuple[str, dict[str, str]]:
        """The msgid and values an engine alert's English text was filled in from, for translating an alert kept as
        text (screening findings, statistics). Any other text comes back as it is, without values: a msgid
        without placeholders translates as it is, a Vietnamese or French message is shown as published."""
        with self._lock:
            patterns = self._patterns
        if patterns is None:
            patterns = message_patterns(cdss.english_messages(cdss.load_knowledge()))
            with self._lock:
                self._patterns = patterns
        for pattern, msgid in patterns:
            found = pattern.fullmatch(text)
            if found is not None:
                return msgid, found.groupdict()
        return text, {}

    def knowledge(self, local_rules: Sequence[cdss.LocalInteraction]) -> cdss.Knowledge:
        key = tuple(local_rules)
        with self._lock:
            cached = self._cached
            if cached is not None and cached[0] == key:
                return cached[1]
        built = cdss.load_knowledge(key)
        with self._lock:
            self._cached = (key, built)
        return built

    @staticmethod
    def version(knowledge: cdss.Knowledge) -> str:
        return str(knowledge.version)

    @staticmethod
    def check(knowledge: cdss.Knowledge, request: cdss.CheckRequest) -> list[cdss.Alert]:
        return list(cdss.check(knowledge, request))

    @staticmethod
    def screen(knowledge: cdss.Knowledge, patients: Sequence[Sequence[cdss.Drug]]) -> list[list[cdss.Alert]]:
        return [list(alerts) for alerts in cdss.screen(knowledge, patients)]

    @staticmethod
    def classes(knowledge: cdss.Knowledge, name: str) -> list[str]:
        """The substance's ATC codes and classes ("ATC:" prefix removed), empty when the engine does not know it."""
        info = cdss.resolve_substance(knowledge, name)
        if info is None:
            return []
        return [code.removeprefix("ATC:") for code in [*info.atc, *info.classes]]

    @staticmethod
    def canonical(knowledge: cdss.Knowledge, name: str) -> str:
        info = cdss.resolve_substance(knowledge, name)
        return info.inn if info is not None else name

    @staticmethod
    def unmapped(knowledge: cdss.Knowledge, names: Sequence[str]) -> list[str]:
        return list(cdss.unmapped(knowledge, names))


def message_patterns(msgids: Sequence[str]) -> list[tuple[re.Pattern[str], str]]:
    """A regular expression per msgid with {placeholders}, matching the text it gives once filled in (longest
    msgid first, so a message is not taken for a shorter one it starts with)."""
    patterns = []
    for msgid in sorted(msgids, key=len, reverse=True):
        parts: list[str] = []
        seen: set[str] = set()
        for literal, field, _spec, _conversion in string.Formatter().parse(msgid):
            parts.append(re.escape(literal))
            if field is not None:
                parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.+?)")
                seen.add(field)
        if seen:
            patterns.append((re.compile("".join(parts), re.DOTALL), msgid))
    return patterns


# The engine's types, re-exported so the rest of the module names one place.
Drug = cdss.Drug
Patient = cdss.Patient
CheckRequest = cdss.CheckRequest
Alert = cdss.Alert
LocalInteraction = cdss.LocalInteraction
