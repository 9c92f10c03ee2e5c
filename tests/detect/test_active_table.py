"""The per-minute activity table the detector indexes is built once per window and matches the profile minute by
minute (the table is shared by every identity with the same ``active_hours_utc``)."""

from __future__ import annotations

import datetime as dt

import pytest

from agentid.detect.definitions import IdentityProfile


def profile(identity: str, window: str) -> IdentityProfile:
    return IdentityProfile(
        identity=identity,
        agent=identity,
        client_id=f"0oa{identity[:10]}",
        scopes=frozenset({"calendar.read"}),
        max_tokens_per_hour=12,
        active_hours_utc=window,
        expires=dt.date(2027, 3, 1),
        file=f"agents/{identity}.yaml",
    )


@pytest.mark.parametrize("window", ["06:00-20:00", "22:00-06:00", "00:00-24:00", "01:00-05:00"])
def test_table_matches_the_profile_every_minute(window: str):
    summariser = profile("meeting-summarizer", window)
    table = summariser.active_table
    assert len(table) == 1440
    assert [bool(b) for b in table] == [summariser.is_active_minute(m) for m in range(1440)]


def test_identities_with_the_same_window_share_one_table():
    first = profile("finance-reconciler", "01:00-05:00").active_table
    second = profile("invoice-matcher", "01:00-05:00").active_table
    assert first is second
    assert profile("hr-onboarding-assistant", "07:00-19:00").active_table is not first
