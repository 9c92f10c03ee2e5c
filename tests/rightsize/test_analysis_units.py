"""The small pieces of rightsize's arithmetic, at their boundaries."""

from __future__ import annotations

import datetime as dt

import pytest

from agentid.rightsize.analysis import _hours_window, percentile
from agentid.rightsize.usage import Window


@pytest.mark.parametrize(
    ("hours", "window"),
    [
        ({5}, (5, 6)),
        ({9, 10}, (9, 11)),
        ({23, 0}, (23, 1)),  # wraps midnight
        ({0, 8, 9, 17, 23}, (8, 1)),  # the largest gap (18-22) is left out
        ({23}, (23, 24)),  # ends at midnight: 24:00
        (set(range(24)), None),
        (set(), None),
    ],
)
def test_the_shortest_run_of_hours_covering_every_token(hours, window):
    assert _hours_window(hours) == window


def test_nearest_rank_percentile():
    assert percentile([], 0.99) == 0
    assert percentile([3], 0.99) == 3
    assert percentile(list(range(1, 101)), 0.99) == 99
    assert percentile([1] * 99 + [50], 0.99) == 1  # one outlier hour in a hundred is above the 99th percentile
    assert percentile([1] * 98 + [50, 50], 0.99) == 50


def test_the_window_is_the_n_full_days_before_today():
    window = Window(dt.date(2026, 12, 1), 30)
    offsets = window.day_offsets()
    assert min(offsets) == "2026-11-01" and max(offsets) == "2026-11-30" and len(offsets) == 30
    assert offsets["2026-11-30"] == 29 * 1440 and "2026-12-01" not in offsets and "2026-10-31" not in offsets


def test_redeliveries_count_once_and_a_reused_uuid_with_other_content_counts_again(sample_registry):
    """The detector's dedupe: the same uuid and content is a redelivery; other content under a seen uuid is an
    event of its own (agentid.detect.detector.content_digest)."""
    from agentid.detect.definitions import build_detection_set
    from agentid.rightsize.usage import UsageCollector
    from tests.rightsize.events import event

    detections = build_detection_set(sample_registry, today=dt.date(2026, 12, 1), stack="prod")
    collector = UsageCollector(detections.identities, Window(dt.date(2026, 12, 1), 30))
    client = detections.identities[0].client_id
    grant = event(client, "2026-11-05T09:00:00.000Z", "finance.ledger.read")
    other = {**grant, "published": "2026-11-05T09:30:00.000Z"}
    for raw in (grant, dict(grant), other, dict(other)):
        collector.add(raw["published"], raw)
    usage = collector.usage.identities[detections.identities[0].identity]
    assert usage.tokens == 2 and usage.hourly == {"2026-11-05T09": 2}
    assert collector.usage.duplicates == 2
