"""A grant whose app label names a registered identity but whose client id is not that identity's: a label/id
mismatch, reported as such rather than as a shadow agent.

The offline detector knows identities by client id. Run with the wrong ids (the offline placeholders, another stack's
outputs, a stale export), every registered agent's grant looks like an unknown client's, and the report would call
each one a shadow agent. Okta's event names the app's label too (``actor.displayName``), and every app the program
deploys is labelled ``agentid:<identity>`` (:mod:`agentid.detect.labels`). So a "shadow" grant whose label is a
registered identity's says something else: the ids given do not belong to this org, or someone labelled an app as an
agent by hand. Either way the reader needs that sentence, not "register it under agents/".

This module only reads the detector's report (the ``shadow-agent-token`` alerts and their ``display_name``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from agentid.detect.definitions import DetectionSet
from agentid.detect.detector import Alert, Report
from agentid.detect.labels import app_label

SHADOW = "shadow-agent-token"


@dataclass(frozen=True, slots=True)
class LabelMismatch:
    """A grant to client ``client_id`` labelled as identity ``identity``, whose known client id is another."""

    identity: str
    agent: str
    label: str
    client_id: str | None
    known_client_id: str
    published: str
    uuid: str | None
    line: int | None

    @property
    def message(self) -> str:
        return (
            f"client {self.client_id or '(no id)'} is labelled `{self.label}`, the app label of registered identity "
            f"{self.identity}, but {self.identity}'s known client id is {self.known_client_id}: the client ids given "
            "are not this org's (pass --client-ids with the stack's outputs), or an app was labelled as an agent by "
            "hand"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "detection": "label-id-mismatch",
            "identity": self.identity,
            "agent": self.agent,
            "label": self.label,
            "client_id": self.client_id,
            "known_client_id": self.known_client_id,
            "published": self.published,
            "uuid": self.uuid,
            "line": self.line,
            "message": self.message,
        }


def split_label_mismatches(report: Report, detections: DetectionSet) -> tuple[Report, tuple[LabelMismatch, ...]]:
    """The report without the shadow-agent alerts whose app label names a registered identity, and those alerts
    as :class:`LabelMismatch`."""
    labels = {}
    for profile in detections.identities:
        labels[app_label(profile.identity)] = profile
        labels[app_label(profile.identity, expired=True)] = profile
    kept: list[Alert] = []
    mismatches: list[LabelMismatch] = []
    for alert in report.alerts:
        label = alert.details.get("display_name") if alert.detection == SHADOW else None
        profile = labels.get(label) if isinstance(label, str) else None
        if profile is None:
            kept.append(alert)
            continue
        mismatches.append(
            LabelMismatch(
                identity=profile.identity,
                agent=profile.agent,
                label=label,
                client_id=alert.client_id,
                known_client_id=profile.client_id,
                published=alert.published,
                uuid=alert.uuid,
                line=alert.line,
            )
        )
    if not mismatches:
        return report, ()
    return dataclasses.replace(report, alerts=tuple(kept)), tuple(mismatches)


__all__ = ["LabelMismatch", "split_label_mismatches"]
