"""Planted violations: each one breaks exactly one rule in a way a real pull request could.

A planted agent carries the id of the rule (or loader check) that must report it, in the manifest the generator
writes, so the benchmark can prove the checkers found what they were timed on (a checker that skips everything
would be very fast). Mutations work on the agent's mapping before it is written, except the syntax error, which
breaks the text itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Mutation = Callable[[dict[str, Any], dt.date], None]


@dataclass(frozen=True, slots=True)
class PlantedViolation:
    """``rule`` is the id ``agentid check`` reports; ``mutate`` changes a valid agent so that it breaks it."""

    rule: str
    mutate: Mutation
    breaks_text: bool = False  # the file is no longer valid YAML: the mutation applies to the text


def _first_identity_keys(agent: dict[str, Any]) -> list[dict[str, Any]]:
    credentials = agent["credentials"]
    if "keys" not in credentials:
        credentials.pop("jwks_uri", None)
        credentials["keys"] = [
            {
                "kty": "EC",
                "kid": f"{agent['name']}-planted",
                "use": "sig",
                "alg": "ES256",
                "crv": "P-256",
                "x": "qjoy7Ypkmpt51E0NBC_gxcbYINYE3hk-TlPOoDRRdKc",
                "y": "p-yt2cAkkXqC0mpVgb9iSQ-Ld-SNa-SjCLJKlC0otIs",
            }
        ]
    return credentials["keys"]


def _outside_owner(agent: dict[str, Any], _today: dt.date) -> None:
    agent["owners"][1] = agent["owners"][1].replace("@example.com", "@gmail.com")


def _service_account_owner(agent: dict[str, Any], _today: dt.date) -> None:
    agent["owners"][0] = f"svc-{agent['team']}@example.com"


def _single_owner(agent: dict[str, Any], _today: dt.date) -> None:
    del agent["owners"][1:]


def _scope_outside_purpose(agent: dict[str, Any], _today: dt.date) -> None:
    scope = "crm.accounts.read" if agent["purpose"] != "support-triage" else "hr.onboarding.write"
    agent["access"]["scopes"].append({"name": scope, "reason": "Looks up account owners to address follow-ups."})


def _too_many_scopes(agent: dict[str, Any], _today: dt.date) -> None:
    extra = ["transcripts.read", "calendar.read", "calendar.write", "tickets.read", "tickets.write",
             "incidents.read", "incidents.write", "logs.read"]  # fmt: skip
    held = {s["name"] for s in agent["access"]["scopes"]}
    for scope in extra:
        if len(agent["access"]["scopes"]) >= 7:
            break
        if scope not in held:
            agent["access"]["scopes"].append({"name": scope, "reason": "Might be useful for a future feature."})


def _long_restricted_token(agent: dict[str, Any], _today: dt.date) -> None:
    agent["purpose"] = "reconciliation"
    agent["access"] = {
        "scopes": [{"name": "finance.ledger.read", "reason": "Reads ledger entries for the accounts it reconciles."}],
        "token_lifetime_minutes": 60,
        "okta_api_scopes": [],
        "network_zones": [],
    }
    agent["plugins"] = []


def _placeholder_reason(agent: dict[str, Any], _today: dt.date) -> None:
    agent["purpose"] = "reconciliation"
    agent["access"] = {
        "scopes": [{"name": "finance.ledger.read", "reason": "TODO explain later"}],
        "token_lifetime_minutes": 10,
        "okta_api_scopes": [],
        "network_zones": [],
    }
    agent["plugins"] = []


def _review_overdue(agent: dict[str, Any], today: dt.date) -> None:
    agent["lifecycle"] = {"kind": "persistent", "review_by": (today - dt.timedelta(days=12)).isoformat()}


def _review_too_far(agent: dict[str, Any], today: dt.date) -> None:
    agent["lifecycle"] = {"kind": "persistent", "review_by": (today + dt.timedelta(days=400)).isoformat()}


def _long_ephemeral(agent: dict[str, Any], today: dt.date) -> None:
    end = (today + dt.timedelta(days=120)).isoformat()
    agent["lifecycle"] = {"kind": "ephemeral", "review_by": (today + dt.timedelta(days=20)).isoformat(), "expires": end}


def _expired_but_deployed(agent: dict[str, Any], today: dt.date) -> None:
    agent["lifecycle"] = {
        "kind": "ephemeral",
        "review_by": (today + dt.timedelta(days=5)).isoformat(),
        "expires": (today - dt.timedelta(days=3)).isoformat(),
    }


def _plugin_shares_agent_key(agent: dict[str, Any], _today: dt.date) -> None:
    keys = _first_identity_keys(agent)
    shared = dict(keys[0], kid=f"{agent['name']}-copy")
    agent["plugins"] = [
        {
            "name": "exporter",
            "description": "Exports the agent's results to the team's shared drive.",
            "scopes": [agent["access"]["scopes"][0]["name"]],
            "credentials": {"keys": [shared]},
        }
    ]


def _plugin_shares_jwks_uri(agent: dict[str, Any], _today: dt.date) -> None:
    uri = f"https://keys.example.com/agents/{agent['name']}/jwks.json"
    agent["credentials"] = {"jwks_uri": uri}
    agent["plugins"] = [
        {
            "name": "notifier",
            "description": "Posts the agent's results to the team's chat channel.",
            "scopes": [agent["access"]["scopes"][0]["name"]],
            "credentials": {"jwks_uri": uri},
        }
    ]


def _jwks_on_bare_ip(agent: dict[str, Any], _today: dt.date) -> None:
    agent["credentials"] = {"jwks_uri": f"https://10.20.30.40/agents/{agent['name']}/jwks.json"}


def waive_okta_token_lifetime(agent: dict[str, Any], today: dt.date) -> None:
    """Okta issues Okta management tokens for a fixed 60 minutes and prod allows 30 (Pulumi.prod.yaml), so an agent
    holding Okta management access in prod carries the waiver the sample okta-user-auditor carries (rule
    okta-management-token-lifetime); only the plant it was generated for may break a rule."""
    waivers = agent.setdefault("waivers", [])
    if "prod" not in agent["environments"] or any(w["rule"] == "okta-management-token-lifetime" for w in waivers):
        return
    review_by = dt.date.fromisoformat(agent["lifecycle"]["review_by"])
    waivers.append(
        {
            "rule": "okta-management-token-lifetime",
            "reason": "Okta fixes org authorization server tokens at 60 minutes; the reader's token rate and hours "
            "are watched by the detections.",
            "approved_by": "security.lead@example.com",
            "expires": min(review_by, today + dt.timedelta(days=60)).isoformat(),
        }
    )


def _management_plugin(agent: dict[str, Any]) -> dict[str, Any]:
    """The agent's plugin holding Okta management access, added (with its own jwks_uri) if it has none."""
    for plugin in agent.get("plugins") or []:
        if plugin.get("okta_api_scopes"):
            return plugin
    plugin = {
        "name": "directory-reader",
        "description": "Reads Okta users and their last sign-in for the agent's follow-ups.",
        "scopes": [],
        "okta_api_scopes": ["okta.users.read"],
        "okta_admin_roles": ["READ_ONLY_ADMIN"],
        "credentials": {"jwks_uri": f"https://keys.example.com/agents/{agent['name']}/directory-reader/jwks.json"},
    }
    agent["plugins"] = [*(agent.get("plugins") or []), plugin]
    return plugin


def _okta_admin_scope(agent: dict[str, Any], today: dt.date) -> None:
    plugin = _management_plugin(agent)
    waive_okta_token_lifetime(agent, today)
    plugin["okta_api_scopes"] = ["okta.users.read", "okta.roles.manage"]
    plugin["okta_admin_roles"] = ["READ_ONLY_ADMIN"]  # break only okta-admin-scope, not the role rules


def _okta_write_scope(agent: dict[str, Any], today: dt.date) -> None:
    plugin = _management_plugin(agent)
    waive_okta_token_lifetime(agent, today)
    plugin["okta_api_scopes"] = ["okta.groups.manage"]
    plugin["okta_admin_roles"] = ["GROUP_MEMBERSHIP_ADMIN"]  # the least role for the write: one rule broken


def _okta_access_beside_custom_scopes(agent: dict[str, Any], today: dt.date) -> None:
    """The shortcut a pull request takes: the agent's own key also gets Okta management access."""
    waive_okta_token_lifetime(agent, today)
    agent["access"]["okta_api_scopes"] = ["okta.users.read"]
    agent["access"]["okta_admin_roles"] = ["READ_ONLY_ADMIN"]  # read-only and with its role: only rule 25 broken


def _plugin_wider_than_agent(agent: dict[str, Any], _today: dt.date) -> None:
    held = {grant["name"] for grant in agent["access"]["scopes"]}
    extra = "docs.public.read" if "docs.public.read" not in held else "calendar.read"
    # a custom-scope plugin only: a custom scope on the Okta management plugin would also break rule 25
    plugins = [plugin for plugin in agent.get("plugins") or [] if not plugin.get("okta_api_scopes")]
    if plugins:
        plugins[0]["scopes"] = [*plugins[0]["scopes"], extra]
        return
    agent["plugins"] = [
        *(agent.get("plugins") or []),
        {
            "name": "log-reader",
            "description": "Reads service logs to enrich the agent's answers.",
            "scopes": [extra],
            "credentials": {"jwks_uri": f"https://keys.example.com/agents/{agent['name']}/log-reader/jwks.json"},
        },
    ]


def _self_approved_waiver(agent: dict[str, Any], today: dt.date) -> None:
    agent["waivers"] = [
        {
            "rule": "single-owner",
            "reason": "The second owner is being hired; the team lead owns it until then.",
            "approved_by": agent["owners"][0],
            "expires": (today + dt.timedelta(days=30)).isoformat(),
        }
    ]


def _expired_waiver(agent: dict[str, Any], today: dt.date) -> None:
    agent["waivers"] = [
        {
            "rule": "review-overdue",
            "reason": "Access review postponed until the quarterly audit completes.",
            "approved_by": "security.lead@example.com",
            "expires": (today - dt.timedelta(days=2)).isoformat(),
        }
    ]


def _private_key_member(agent: dict[str, Any], _today: dt.date) -> None:
    # A fake private scalar: the point is that the loader reports and strips `d`, not that it is a real secret.
    _first_identity_keys(agent)[0]["d"] = "bm90LWEtcmVhbC1wcml2YXRlLWtleS1iZW5jaG1hcmstb25seQ"


def _schema_typo(agent: dict[str, Any], _today: dt.date) -> None:
    agent["acess"] = agent.pop("access")


def _lifetime_out_of_range(agent: dict[str, Any], _today: dt.date) -> None:
    agent["access"]["token_lifetime_minutes"] = 2880


def _unknown_scope(agent: dict[str, Any], _today: dt.date) -> None:
    agent["access"]["scopes"][0]["name"] += "s"  # calendar.reads: a typo the catalog does not know


def _wildcard_scope(agent: dict[str, Any], _today: dt.date) -> None:
    agent["access"]["scopes"][0]["name"] = "calendar.*"


def _syntax_error(agent: dict[str, Any], _today: dt.date) -> None:
    """Marker only: the generator breaks the written text (an unclosed flow sequence)."""


VIOLATIONS: tuple[PlantedViolation, ...] = (
    PlantedViolation("owner-allowed-domain", _outside_owner),
    PlantedViolation("owner-not-agent-identity", _service_account_owner),
    PlantedViolation("single-owner", _single_owner),
    PlantedViolation("purpose-data-domain", _scope_outside_purpose),
    PlantedViolation("max-scopes", _too_many_scopes),
    PlantedViolation("restricted-scope-token-lifetime", _long_restricted_token),
    PlantedViolation("restricted-scope-reason", _placeholder_reason),
    PlantedViolation("review-overdue", _review_overdue),
    PlantedViolation("review-too-far", _review_too_far),
    PlantedViolation("ephemeral-max-span", _long_ephemeral),
    PlantedViolation("expired-agent-deployed", _expired_but_deployed),
    PlantedViolation("shared-key", _plugin_shares_agent_key),
    PlantedViolation("shared-jwks-uri", _plugin_shares_jwks_uri),
    PlantedViolation("jwks-uri-insecure", _jwks_on_bare_ip),
    PlantedViolation("okta-admin-scope", _okta_admin_scope),
    PlantedViolation("okta-management-scope", _okta_write_scope),
    PlantedViolation("okta-management-separate-identity", _okta_access_beside_custom_scopes),
    PlantedViolation("plugin-scope-subset", _plugin_wider_than_agent),
    PlantedViolation("waiver-self-approved", _self_approved_waiver),
    PlantedViolation("waiver-expired", _expired_waiver),
    PlantedViolation("private-key-material", _private_key_member),
    PlantedViolation("load.schema", _schema_typo),
    PlantedViolation("load.schema", _lifetime_out_of_range),
    PlantedViolation("load.unknown-scope", _unknown_scope),
    PlantedViolation("scope-wildcard", _wildcard_scope),
    PlantedViolation("load.syntax", _syntax_error, breaks_text=True),
)
