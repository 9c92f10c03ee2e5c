"""What is due: agents that expire or whose access review falls due within a window.

A scheduled job runs ``agentid expiring`` and opens reminders for the owners; this module decides what is due so the
rules (expired agents), the inventory (lifecycle status) and that job agree on one definition.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from agentid.registry.model import Agent, Registry


class DueKind(StrEnum):
    EXPIRES = "expires"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class DueItem:
    """One date that needs an owner's attention. ``days_left`` is negative once the date has passed."""

    agent: str
    kind: DueKind
    date: dt.date
    days_left: int
    owners: tuple[str, ...]
    team: str
    file: str

    @property
    def overdue(self) -> bool:
        """An agent works through its ``expires`` day, so it is overdue from the day after; a review likewise."""
        return self.days_left < 0

    @property
    def status(self) -> str:
        if self.kind is DueKind.EXPIRES:
            return "expired (deployed inactive)" if self.overdue else "expires soon"
        return "review overdue" if self.overdue else "review due"

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "kind": self.kind.value,
            "date": self.date.isoformat(),
            "days_left": self.days_left,
            "overdue": self.overdue,
            "status": self.status,
            "owners": list(self.owners),
            "team": self.team,
            "file": self.file,
        }


_WINDOW = re.compile(r"^\s*(\d{1,4})\s*([dw]?)\s*$", re.IGNORECASE)


def parse_window(text: str) -> int:
    """``14d``, ``2w`` or ``14`` -> days. Raises ``ValueError`` with the accepted forms."""
    match = _WINDOW.match(text)
    if not match:
        raise ValueError(f"`{text}` is not a window: use days or weeks, e.g. 14d, 2w or 30")
    count, unit = int(match.group(1)), match.group(2).lower()
    return count * 7 if unit == "w" else count


def due_items(agents: Registry | tuple[Agent, ...], today: dt.date, within_days: int) -> list[DueItem]:
    """Every ``expires`` and ``review_by`` on or before ``today + within_days`` (past dates included), soonest first."""
    horizon = today + dt.timedelta(days=within_days)
    items = []
    for agent in agents:
        dates = [(DueKind.EXPIRES, agent.lifecycle.expires), (DueKind.REVIEW, agent.lifecycle.review_by)]
        for kind, date in dates:
            if date is not None and date <= horizon:
                items.append(DueItem(agent.name, kind, date, (date - today).days, agent.owners, agent.team, agent.file))
    return sorted(items, key=lambda item: (item.date, item.agent, item.kind.value))


def lifecycle_status(agent: Agent, today: dt.date, within_days: int = 14) -> str:
    """A one-word state for reports: expired, expiring, review-overdue, review-due or active."""
    if agent.lifecycle.is_expired(today):
        return "expired"
    horizon = today + dt.timedelta(days=within_days)
    if agent.lifecycle.expires is not None and agent.lifecycle.expires <= horizon:
        return "expiring"
    if agent.lifecycle.review_by < today:
        return "review-overdue"
    if agent.lifecycle.review_by <= horizon:
        return "review-due"
    return "active"
