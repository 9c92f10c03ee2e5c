"""The words synthetic agents are made of: kinds of agent per catalog purpose, teams, people and regions.

Benchmarks on ``agent-00001`` files would measure nothing real: names, descriptions and reasons here have the
length and shape of the sample agents in ``agents/``, and every valid agent stays within its purpose's data
domains (``policies/catalog.yaml``) so it passes every registry rule. A kind that calls the Okta management API does
it through a plugin of its own (:class:`OktaPlugin`), never on the identity that holds its custom scopes (rule
okta-management-separate-identity): that is the shape the benchmarks must plan and count.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OktaPlugin:
    """A plugin holding an agent kind's Okta management API access, on a key of its own.

    Okta management tokens come from the org authorization server: a separate identity keeps a leaked business-API
    key from also being an identity-provider key, and costs an app, a scope grant and a role assignment."""

    name: str
    description: str
    okta_api_scopes: tuple[str, ...]
    #: the least admin role covering ``okta_api_scopes``: without one Okta refuses the calls
    #: (rule okta-api-scopes-without-admin-role)
    okta_admin_roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AgentKind:
    """One kind of agent: its catalog purpose, the scopes it needs (with reasons) and the plugin it may call."""

    stem: str
    purpose: str
    description: str
    scopes: tuple[tuple[str, str], ...]
    teams: tuple[str, ...]
    restricted: bool = False
    plugin: tuple[str, str, tuple[str, ...]] | None = None  # (name, description, scopes)
    #: the kind's Okta management API access, always on this plugin: the agent needs it to do its job
    okta_plugin: OktaPlugin | None = None


KINDS: tuple[AgentKind, ...] = (
    AgentKind(
        "meeting-summarizer",
        "summarization",
        "Summarizes meeting transcripts into decisions and action items for the organizer.",
        (
            ("transcripts.read", "Reads transcripts of meetings the agent was invited to."),
            ("calendar.read", "Reads the meeting's attendee list to address the summary."),
        ),
        ("workplace-productivity", "collaboration-tools"),
        plugin=("calendar", "Reads the organizer's calendar to find follow-up slots.", ("calendar.read",)),
    ),
    AgentKind(
        "standup-notetaker",
        "summarization",
        "Turns daily stand-up recordings into a short written digest for the team channel.",
        (("transcripts.read", "Reads the stand-up transcript to write the daily digest."),),
        ("developer-experience", "workplace-productivity"),
    ),
    AgentKind(
        "calendar-briefer",
        "summarization",
        "Prepares a morning briefing of the day's meetings with links to the relevant notes.",
        (
            ("calendar.read", "Reads the user's events for the day to build the briefing."),
            ("transcripts.read", "Reads notes of earlier meetings in the same series."),
        ),
        ("executive-office", "workplace-productivity"),
    ),
    AgentKind(
        "finance-reconciler",
        "reconciliation",
        "Matches bank statement lines to ledger entries each night and flags exceptions for the controller.",
        (
            ("finance.ledger.read", "Reads ledger entries and statement lines for the accounts being reconciled."),
            ("finance.reconciliation.write", "Records matches and exceptions; it cannot post journal entries."),
        ),
        ("finance-systems", "treasury-operations"),
        restricted=True,
    ),
    AgentKind(
        "invoice-matcher",
        "reconciliation",
        "Matches supplier invoices to purchase orders and goods receipts before payment runs.",
        (
            ("finance.ledger.read", "Reads purchase orders and receipts recorded in the ledger for matching."),
            ("finance.reconciliation.write", "Records three-way match results and exceptions for accounts payable."),
        ),
        ("accounts-payable", "finance-systems"),
        restricted=True,
        plugin=(
            "ledger-export",
            "Exports the day's matched invoices from the ledger for the payment run.",
            ("finance.ledger.read",),
        ),
    ),
    AgentKind(
        "hr-onboarding-assistant",
        "onboarding",
        "Prepares onboarding checklists and first-week schedules for new hires from their HR record.",
        (
            ("hr.records.read", "Reads the new hire's name, role, manager and start date to personalise it."),
            ("hr.onboarding.write", "Creates and updates the new hire's onboarding checklist."),
            ("calendar.write", "Its calendar plugin books first-week meetings with the manager and buddy."),
        ),
        ("people-operations", "talent-acquisition"),
        restricted=True,
        plugin=("scheduler", "Books first-week meetings on the manager's and buddy's calendars.", ("calendar.write",)),
    ),
    AgentKind(
        "support-triage",
        "support-triage",
        "Classifies incoming support tickets by product and urgency and routes them to the right queue.",
        (
            ("tickets.read", "Reads new tickets and their comments to classify them."),
            ("tickets.write", "Labels and routes tickets to the right queue."),
            ("crm.accounts.read", "Reads the customer's plan and tier to set the ticket's priority."),
        ),
        ("customer-support", "support-operations"),
    ),
    AgentKind(
        "docs-answerer",
        "support-triage",
        "Suggests answers from the public documentation to agents working on support tickets.",
        (
            ("docs.public.read", "Searches the public product documentation for relevant articles."),
            ("tickets.read", "Reads the ticket it is asked to suggest an answer for."),
        ),
        ("customer-support", "documentation"),
        plugin=("docs-search", "Searches the public documentation index.", ("docs.public.read",)),
    ),
    AgentKind(
        "incident-responder",
        "incident-response",
        "Gathers logs and timelines during operational incidents and posts evidence to the incident.",
        (
            ("incidents.read", "Reads the incident's timeline and on-call handoffs."),
            ("incidents.write", "Posts evidence summaries to the incident timeline."),
            ("logs.read", "Queries service logs for the incident window."),
        ),
        ("site-reliability", "platform-engineering"),
    ),
    AgentKind(
        "postmortem-drafter",
        "incident-response",
        "Drafts post-incident reviews from the incident timeline and the linked support tickets.",
        (
            ("incidents.read", "Reads the resolved incident's timeline to draft the review."),
            ("tickets.read", "Reads customer tickets linked to the incident to describe the impact."),
        ),
        ("site-reliability", "customer-support"),
    ),
    AgentKind(
        "okta-user-auditor",
        "identity-audit",
        "Lists Okta users each week and records dormant or ownerless accounts for the access review.",
        (("access-reviews.write", "Records dormant and ownerless accounts as access-review findings."),),
        ("identity-security", "it-compliance"),
        okta_plugin=OktaPlugin(
            "directory-reader",
            "Reads Okta users, their groups and last sign-in for the weekly dormant-account review.",
            ("okta.users.read", "okta.groups.read"),
            ("READ_ONLY_ADMIN",),
        ),
    ),
)

REGIONS: tuple[str, ...] = ("emea", "amer", "apac", "latam", "nordics", "dach", "uk", "anz")

FIRST_NAMES: tuple[str, ...] = (
    "priya", "tom", "maria", "james", "aisha", "daniel", "sam", "grace", "nina", "victor", "lena", "omar",
    "chen", "fatima", "lukas", "sofia", "kwame", "yuki", "elena", "ravi", "hannah", "mateo", "ingrid", "tariq",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "raman", "becker", "lopez", "okafor", "khan", "moreau", "oconnor", "liu", "petrova", "alvarez", "svensson",
    "haddad", "wang", "nwosu", "fischer", "rossi", "mensah", "tanaka", "ivanova", "iyer", "schmidt", "garcia",
)  # fmt: skip

ACTIVE_HOURS: tuple[str, ...] = ("06:00-20:00", "07:00-19:00", "01:00-05:00", "00:00-24:00", "22:00-06:00")
