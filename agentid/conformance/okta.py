"""What pulumi-okta 7.0.1 refuses, ported from the Terraform provider it bridges, one check per provider rule.

pulumi-okta is a bridge: at ``pulumi preview`` the bridge runs the Terraform provider's schema checks (Required,
enums, ``ValidateFunc``/``Validators``, ``ConflictsWith``), and at ``pulumi up`` the provider's Create/Update code
refuses more. The offline plan runs the real program under the SDK mock engine, which checks none of that, so this
module holds each rule the provider applies to the resource types ``infra/`` declares, with where it comes from.

Source: okta/terraform-provider-okta at commit :data:`PROVIDER_COMMIT` (tag v6.12.0, the ``upstream`` submodule of
pulumi/pulumi-okta commit 60bbb439 "Upgrade terraform-provider-okta to v6.12.0"; the v6.1x line pulumi-okta 7.0.1
bridges), directory ``okta/services/idaas/``. Input names are the bridge's camelCase names (``grantTypeWhitelists``
for ``grant_type_whitelist``), which is how the mock engine and CrossGuard hand inputs over.

Rules here are facts about the provider, not policy: a finding means `pulumi preview` or `pulumi up` would fail.
The code is written from reading the provider, never copied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentid.conformance.goregex import compile_go, go_match_string

PROVIDER_REPO = "okta/terraform-provider-okta"
PROVIDER_COMMIT = "e59c130b0b6e4b9f76aacbba437515cd5e95cc71"
PROVIDER_DIR = "okta/services/idaas"

#: What a secret or a not-yet-known value reads as in the offline plan (agentid.plan): nothing to judge.
_OPAQUE = ("[secret]", "[unknown]")


@dataclass(frozen=True, slots=True)
class Source:
    """Where a rule comes from: ``file`` under :data:`PROVIDER_DIR` (or a URL), ``line`` in it at the commit."""

    file: str
    line: int
    note: str = ""

    def __str__(self) -> str:
        if self.file.startswith("https://"):
            return self.file
        return f"{PROVIDER_REPO}@{PROVIDER_COMMIT[:8]} {PROVIDER_DIR}/{self.file}:{self.line}"


# --- Ported Go regular expressions (source text between the backquotes of the raw strings) -------------------------

#: resource_okta_log_stream.go:38. In a Go raw string `\\-_` is `\\` then the *range* `\`..`_`: a hyphen is refused;
#: `\`, `]`, `^` and `_` are accepted (the Okta API itself accepts hyphens, the provider does not).
EVENT_SOURCE_NAME_GO = r"^[\\.\\-_A-Za-z0-9]{1,75}$"
#: resource_okta_log_stream.go:39
SPLUNK_TOKEN_GO = r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
#: resource_okta_log_stream.go:40: one label, then splunkcloud.com, splunkcloud.gc.com, splunkcloud.fed.com or .mil
SPLUNK_HOST_GO = r"^[a-z0-9]+(-[a-z0-9]+)*\.splunkcloud(\.gc\.com|\.fed\.com|\.com|\.mil)$"

EVENT_SOURCE_NAME = compile_go(EVENT_SOURCE_NAME_GO)
SPLUNK_TOKEN = compile_go(SPLUNK_TOKEN_GO)
SPLUNK_HOST = compile_go(SPLUNK_HOST_GO)

EVENT_SOURCE_NAME_SOURCE = Source("resource_okta_log_stream.go", 38)
SPLUNK_TOKEN_SOURCE = Source("resource_okta_log_stream.go", 39)
SPLUNK_HOST_SOURCE = Source("resource_okta_log_stream.go", 40)

LOG_STREAM_TYPES = ("aws_eventbridge", "splunk_cloud_logstreaming")  # resource_okta_log_stream.go:93-97
SPLUNK_EDITIONS = ("aws", "aws_govcloud", "gcp")  # resource_okta_log_stream.go:146-151
STATUSES = ("ACTIVE", "INACTIVE")  # resource_okta_log_stream.go:103-107
RESPONSE_TYPES = ("code", "token", "id_token")  # resource_okta_app_oauth.go:295-299
NETWORK_CONNECTIONS = ("ANYWHERE", "ZONE")  # resource_okta_app_oauth.go:474
#: appRequirementsByType["service"], resource_okta_app_oauth.go:106-121 (checked by validateGrantTypes, :1334)
SERVICE_REQUIRED_GRANTS = ("client_credentials",)
SERVICE_VALID_GRANTS = (
    "client_credentials",
    "implicit",
    "urn:ietf:params:oauth:grant-type:saml2-bearer",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:ietf:params:oauth:grant-type:device_code",
    "interaction_code",
    "urn:okta:params:oauth:grant-type:oob",
    "urn:okta:params:oauth:grant-type:otp",
    "http://auth0.com/oauth/grant-type/mfa-oob",
    "http://auth0.com/oauth/grant-type/mfa-otp",
)
#: Okta's bounds, stated by the provider's schema (resource_okta_auth_server_policy_rule.go:76-80); the API enforces.
TOKEN_LIFETIME_MINUTES = (5, 1440)


def is_event_source_name(value: str) -> bool:
    """``settings.event_source_name`` as the provider validates it (Go ``MatchString``)."""
    return go_match_string(EVENT_SOURCE_NAME, value)


def is_splunk_host(value: str) -> bool:
    return go_match_string(SPLUNK_HOST, value)


def is_splunk_token(value: str) -> bool:
    return go_match_string(SPLUNK_TOKEN, value)


# --- Checks on planned inputs --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    """One provider rule for one resource type. ``test`` returns the problem (one sentence) or ``None``."""

    id: str
    resource_type: str
    source: Source
    description: str
    test: Callable[[Mapping[str, Any]], str | None]


@dataclass(frozen=True, slots=True)
class Violation:
    """An input of a planned resource the provider would refuse."""

    check: Check
    resource_type: str
    resource_name: str
    agent: str | None
    problem: str

    @property
    def message(self) -> str:
        return (
            f"{self.resource_type} `{self.resource_name}`: {self.problem}; `pulumi preview`/`pulumi up` with "
            f"pulumi-okta 7.0.1 would fail on it ({self.check.source})"
        )


def _opaque(value: Any) -> bool:
    return isinstance(value, str) and value in _OPAQUE


def _present(value: Any) -> bool:
    return value is not None and value != ""


def _required(*path: str) -> Callable[[Mapping[str, Any]], str | None]:
    def test(inputs: Mapping[str, Any]) -> str | None:
        value: Any = inputs
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        return None if _present(value) else f"`{'.'.join(path)}` is required and not set"

    return test


Test = Callable[[Mapping[str, Any]], str | None]


def _one_of(key: str, allowed: Sequence[str], *, within: str | None = None) -> Test:
    def test(inputs: Mapping[str, Any]) -> str | None:
        holder = inputs.get(within) if within else inputs
        value = holder.get(key) if isinstance(holder, Mapping) else None
        if value is None or _opaque(value) or value in allowed:
            return None
        name = f"{within}.{key}" if within else key
        return f"`{name}` is {value!r}; the provider accepts only {', '.join(allowed)}"

    return test


def _regex(key: str, pattern_ok: Callable[[str], bool], what: str, *, within: str) -> Test:
    def test(inputs: Mapping[str, Any]) -> str | None:
        holder = inputs.get(within)
        value = holder.get(key) if isinstance(holder, Mapping) else None
        if value is None or _opaque(value):
            return None
        if isinstance(value, str) and pattern_ok(value):
            return None
        return f"`{within}.{key}` is {value!r}; {what}"

    return test


def _settings_for(kind: str, *fields: str) -> Callable[[Mapping[str, Any]], str | None]:
    def test(inputs: Mapping[str, Any]) -> str | None:
        if inputs.get("type") != kind:
            return None
        settings = inputs.get("settings") if isinstance(inputs.get("settings"), Mapping) else {}
        missing = [f for f in fields if not _present(settings.get(f))]
        return f"a {kind} stream needs settings {', '.join(missing)}" if missing else None

    return test


def _account_id(inputs: Mapping[str, Any]) -> str | None:
    settings = inputs.get("settings")
    value = settings.get("accountId") if isinstance(settings, Mapping) else None
    if value is None or _opaque(value) or (isinstance(value, str) and len(value) == 12):
        return None
    return f"`settings.accountId` is {value!r}; the provider wants exactly 12 characters"


def _response_types(inputs: Mapping[str, Any]) -> str | None:
    bad = [v for v in inputs.get("responseTypes") or () if v not in RESPONSE_TYPES]
    return f"`responseTypes` holds {bad!r}; allowed: {', '.join(RESPONSE_TYPES)}" if bad else None


def _service_grants(inputs: Mapping[str, Any]) -> str | None:
    if inputs.get("type") != "service" or not inputs.get("grantTypes"):
        return None  # no grant types: the provider applies the type's minimum
    grants = list(inputs["grantTypes"])
    missing = [g for g in SERVICE_REQUIRED_GRANTS if g not in grants]
    invalid = [g for g in grants if g not in SERVICE_VALID_GRANTS]
    if missing:
        return f"a service app's `grantTypes` must include {', '.join(missing)}"
    if invalid:
        return f"a service app's `grantTypes` may not hold {', '.join(invalid)}"
    return None


def _jwks_for_private_key_jwt(inputs: Mapping[str, Any]) -> str | None:
    if inputs.get("tokenEndpointAuthMethod") != "private_key_jwt":
        return None
    if inputs.get("jwks") or _present(inputs.get("jwksUri")):
        return None
    return "`tokenEndpointAuthMethod` private_key_jwt needs `jwks` or `jwksUri`"


def _jwk_members(inputs: Mapping[str, Any]) -> str | None:
    for index, key in enumerate(inputs.get("jwks") or ()):
        if not isinstance(key, Mapping):
            continue
        if not _present(key.get("kid")) or not _present(key.get("kty")):
            return f"`jwks[{index}]` needs both `kid` and `kty`"
        kty = key.get("kty")
        # buildAppOAuthV6 sends e/n for RSA and x/y for EC; any other kty becomes an empty key (no branch takes it).
        needs = {"RSA": ("e", "n"), "EC": ("x", "y")}.get(kty)
        if needs is None:
            return f"`jwks[{index}].kty` is {kty!r}; the provider sends only RSA (e, n) and EC (x, y) keys"
        missing = [m for m in needs if not _present(key.get(m))]
        if missing:
            return f"`jwks[{index}]` ({kty}) lacks {', '.join(missing)}"
    return None


def _network(inputs: Mapping[str, Any]) -> str | None:
    network = inputs.get("network")
    if network is None:
        return None
    if not isinstance(network, Mapping) or not _present(network.get("connection")):
        return "`network.connection` is required in a `network` block"
    if network["connection"] not in NETWORK_CONNECTIONS:
        return f"`network.connection` is {network['connection']!r}; allowed: {', '.join(NETWORK_CONNECTIONS)}"
    return None


def _skip_policy_conflict(inputs: Mapping[str, Any]) -> str | None:
    if inputs.get("skipAuthenticationPolicy") and _present(inputs.get("authenticationPolicy")):
        return "`skipAuthenticationPolicy` conflicts with `authenticationPolicy`"
    return None


def _service_skips_policy(inputs: Mapping[str, Any]) -> str | None:
    if inputs.get("type") != "service" or inputs.get("skipAuthenticationPolicy") is True:
        return None
    return (
        "a service app without `skipAuthenticationPolicy: true`: every update calls PUT /apps/{id}/policies/{policy}, "
        "which Okta answers with 400 for API service apps (provider issue 2295; opt-out added by PR 2428)"
    )


def _single_audience(inputs: Mapping[str, Any]) -> str | None:
    audiences = inputs.get("audiences") or []
    return f"`audiences` holds {len(audiences)} values; Okta supports a single audience" if len(audiences) > 1 else None


def _not_okta_prefixed(inputs: Mapping[str, Any]) -> str | None:
    name = inputs.get("name")
    if isinstance(name, str) and name.startswith("okta."):
        return f"custom scope `{name}` is in the `okta.` namespace Okta reserves for its own scopes"
    return None


def _policy_created_active(inputs: Mapping[str, Any]) -> str | None:
    return "an auth server policy cannot be created INACTIVE" if inputs.get("status") == "INACTIVE" else None


def _token_lifetime(inputs: Mapping[str, Any]) -> str | None:
    value = inputs.get("accessTokenLifetimeMinutes")
    low, high = TOKEN_LIFETIME_MINUTES
    if value is None or _opaque(value) or (isinstance(value, int) and low <= value <= high):
        return None
    return f"`accessTokenLifetimeMinutes` is {value!r}; Okta accepts {low}..{high}"


def _implicit_needs_people(inputs: Mapping[str, Any]) -> str | None:
    grants = inputs.get("grantTypeWhitelists") or ()
    if "implicit" in grants and not inputs.get("userWhitelists") and not inputs.get("groupWhitelists"):
        return "`implicit` in `grantTypeWhitelists` needs `userWhitelists` or `groupWhitelists`"
    return None


def _refresh_not_shorter(inputs: Mapping[str, Any]) -> str | None:
    refresh = inputs.get("refreshTokenLifetimeMinutes") or 0
    access = inputs.get("accessTokenLifetimeMinutes", 60)
    if isinstance(refresh, int) and isinstance(access, int) and 0 < refresh < access:
        return "`refreshTokenLifetimeMinutes` must be at least `accessTokenLifetimeMinutes`"
    return None


def _custom_role(inputs: Mapping[str, Any]) -> str | None:
    if inputs.get("type") == "CUSTOM" and not (_present(inputs.get("resourceSet")) and _present(inputs.get("role"))):
        return "`type` CUSTOM needs `resourceSet` and `role`"
    return None


LOG_STREAM = "okta:index/logStream:LogStream"
OAUTH_APP = "okta:app/oAuth:OAuth"
AUTH_SERVER = "okta:auth/server:Server"
SERVER_SCOPE = "okta:auth/serverScope:ServerScope"
SERVER_POLICY = "okta:auth/serverPolicy:ServerPolicy"
POLICY_RULE = "okta:auth/serverPolicyRule:ServerPolicyRule"
API_SCOPE = "okta:index/appOauthApiScope:AppOauthApiScope"
ROLE_ASSIGNMENT = "okta:app/oauthRoleAssignment:OauthRoleAssignment"

_LS = "resource_okta_log_stream.go"
_APP = "resource_okta_app_oauth.go"
_SRV = "resource_okta_auth_server.go"
_SCOPE = "resource_okta_auth_server_scope.go"
_POL = "resource_okta_auth_server_policy.go"
_RULE = "resource_okta_auth_server_policy_rule.go"
_API = "resource_okta_app_oauth_api_scope.go"
_ROLE = "resource_okta_app_oauth_role_assignment.go"
OKTA_RESERVED_SCOPES = "https://support.okta.com/help/s/article/add-okta-reserved-scopes-to-custom-authorization-server"


def _req(resource_type: str, file: str, line: int, *path: str) -> Check:
    dotted = ".".join(path)
    return Check(
        f"{file}:{dotted}:required", resource_type, Source(file, line), f"`{dotted}` is Required", _required(*path)
    )


CHECKS: tuple[Check, ...] = (
    # okta_log_stream
    _req(LOG_STREAM, _LS, 82, "name"),
    _req(LOG_STREAM, _LS, 86, "type"),
    Check(
        f"{_LS}:type:one-of",
        LOG_STREAM,
        Source(_LS, 93),
        "type is aws_eventbridge or splunk_cloud_logstreaming",
        _one_of("type", LOG_STREAM_TYPES),
    ),
    Check(
        f"{_LS}:status:one-of",
        LOG_STREAM,
        Source(_LS, 103),
        "status is ACTIVE or INACTIVE",
        _one_of("status", STATUSES),
    ),
    Check(f"{_LS}:settings.accountId:length", LOG_STREAM, Source(_LS, 121), "accountId is 12 characters", _account_id),
    Check(
        f"{_LS}:settings.eventSourceName:regex",
        LOG_STREAM,
        EVENT_SOURCE_NAME_SOURCE,
        "eventSourceName matches the provider's regex as Go reads it (no hyphen)",
        _regex(
            "eventSourceName",
            is_event_source_name,
            "the provider's regex (a Go raw string) accepts 1-75 letters, digits, '.', '_', '\\', ']' or '^' "
            "and no hyphen",
            within="settings",
        ),
    ),
    Check(
        f"{_LS}:settings.edition:one-of",
        LOG_STREAM,
        Source(_LS, 146),
        "edition is aws, aws_govcloud or gcp",
        _one_of("edition", SPLUNK_EDITIONS, within="settings"),
    ),
    Check(
        f"{_LS}:settings.host:regex",
        LOG_STREAM,
        SPLUNK_HOST_SOURCE,
        "host is a Splunk Cloud host",
        _regex(
            "host",
            is_splunk_host,
            "the provider wants NAME.splunkcloud.com (or .splunkcloud.gc.com, .splunkcloud.fed.com, "
            ".splunkcloud.mil), lower case, no scheme",
            within="settings",
        ),
    ),
    Check(
        f"{_LS}:settings.token:regex",
        LOG_STREAM,
        SPLUNK_TOKEN_SOURCE,
        "token is a UUID (Splunk HEC token)",
        _regex("token", is_splunk_token, "the provider wants a Splunk HEC token (a UUID)", within="settings"),
    ),
    Check(
        f"{_LS}:settings:eventbridge",
        LOG_STREAM,
        Source(_LS, 115),
        "EventBridge needs accountId, eventSourceName, region",
        _settings_for("aws_eventbridge", "accountId", "eventSourceName", "region"),
    ),
    Check(
        f"{_LS}:settings:splunk",
        LOG_STREAM,
        Source(_LS, 144),
        "Splunk needs edition, host, token",
        _settings_for("splunk_cloud_logstreaming", "edition", "host", "token"),
    ),
    # okta_app_oauth (+ base app schema in app.go)
    _req(OAUTH_APP, "app.go", 25, "label"),
    _req(OAUTH_APP, _APP, 154, "type"),
    Check(
        f"{_APP}:responseTypes:one-of",
        OAUTH_APP,
        Source(_APP, 295),
        "response types are code, token, id_token",
        _response_types,
    ),
    Check(
        f"{_APP}:grantTypes:service",
        OAUTH_APP,
        Source(_APP, 1334),
        "service app grant types (appRequirementsByType)",
        _service_grants,
    ),
    Check(
        f"{_APP}:jwks:private-key-jwt",
        OAUTH_APP,
        Source(_APP, 1374),
        "private_key_jwt needs jwks or jwksUri",
        _jwks_for_private_key_jwt,
    ),
    Check(
        f"{_APP}:jwks:members",
        OAUTH_APP,
        Source(_APP, 380, "kid/kty Required; key built at :1180-1235"),
        "each JWK has kid and kty, RSA e+n or EC x+y",
        _jwk_members,
    ),
    Check(
        f"{_APP}:network:connection", OAUTH_APP, Source(_APP, 470), "network.connection is ANYWHERE or ZONE", _network
    ),
    Check(
        f"{_APP}:skipAuthenticationPolicy:conflicts",
        OAUTH_APP,
        Source(_APP, 461),
        "skipAuthenticationPolicy ConflictsWith authenticationPolicy",
        _skip_policy_conflict,
    ),
    Check(
        f"{_APP}:skipAuthenticationPolicy:service-update",
        OAUTH_APP,
        Source(_APP, 994, "Update's policy call"),
        "service apps skip the authentication policy call (issue 2295, PRs 2403 and 2428)",
        _service_skips_policy,
    ),
    # okta_auth_server
    _req(AUTH_SERVER, _SRV, 23, "audiences"),
    _req(AUTH_SERVER, _SRV, 56, "name"),
    Check(f"{_SRV}:audiences:single", AUTH_SERVER, Source(_SRV, 26), "one audience only", _single_audience),
    # okta_auth_server_scope
    _req(SERVER_SCOPE, _SCOPE, 21, "name"),
    _req(SERVER_SCOPE, _SCOPE, 26, "authServerId"),
    Check(
        f"{_SCOPE}:consent:one-of",
        SERVER_SCOPE,
        Source(_SCOPE, 41),
        "consent is REQUIRED or IMPLICIT",
        _one_of("consent", ("REQUIRED", "IMPLICIT")),
    ),
    Check(
        f"{_SCOPE}:metadataPublish:one-of",
        SERVER_SCOPE,
        Source(_SCOPE, 47),
        "metadataPublish is ALL_CLIENTS or NO_CLIENTS",
        _one_of("metadataPublish", ("ALL_CLIENTS", "NO_CLIENTS")),
    ),
    Check(
        f"{_SCOPE}:name:okta-namespace",
        SERVER_SCOPE,
        Source(OKTA_RESERVED_SCOPES, 0),
        "custom scope names are outside Okta's reserved okta.* namespace",
        _not_okta_prefixed,
    ),
    # okta_auth_server_policy
    _req(SERVER_POLICY, _POL, 21, "name"),
    _req(SERVER_POLICY, _POL, 26, "authServerId"),
    _req(SERVER_POLICY, _POL, 32, "priority"),
    _req(SERVER_POLICY, _POL, 37, "description"),
    _req(SERVER_POLICY, _POL, 42, "clientWhitelists"),
    Check(f"{_POL}:status:create-active", SERVER_POLICY, Source(_POL, 54), "created ACTIVE", _policy_created_active),
    # okta_auth_server_policy_rule
    _req(POLICY_RULE, _RULE, 36, "name"),
    _req(POLICY_RULE, _RULE, 41, "authServerId"),
    _req(POLICY_RULE, _RULE, 46, "policyId"),
    _req(POLICY_RULE, _RULE, 57, "priority"),
    _req(POLICY_RULE, _RULE, 62, "grantTypeWhitelists"),
    Check(
        f"{_RULE}:accessTokenLifetimeMinutes:range", POLICY_RULE, Source(_RULE, 76), "5..1440 minutes", _token_lifetime
    ),
    Check(
        f"{_RULE}:grantTypeWhitelists:implicit",
        POLICY_RULE,
        Source(_RULE, 307),
        "implicit needs users or groups",
        _implicit_needs_people,
    ),
    Check(
        f"{_RULE}:refreshTokenLifetimeMinutes:order",
        POLICY_RULE,
        Source(_RULE, 323),
        "refresh >= access lifetime",
        _refresh_not_shorter,
    ),
    # okta_app_oauth_api_scope
    _req(API_SCOPE, _API, 45, "appId"),
    _req(API_SCOPE, _API, 51, "issuer"),
    _req(API_SCOPE, _API, 56, "scopes"),
    # okta_app_oauth_role_assignment
    _req(ROLE_ASSIGNMENT, _ROLE, 64, "clientId"),
    _req(ROLE_ASSIGNMENT, _ROLE, 72, "type"),
    Check(
        f"{_ROLE}:type:custom", ROLE_ASSIGNMENT, Source(_ROLE, 121), "CUSTOM needs resourceSet and role", _custom_role
    ),
)

#: The resource types the checks cover: every Okta type ``infra/`` declares.
CHECKED_TYPES = frozenset(check.resource_type for check in CHECKS)


def _by_type(checks: Sequence[Check]) -> dict[str, tuple[Check, ...]]:
    """Each type's checks in :data:`CHECKS` order, grouped once: a plan asks for them once per resource (~47,000
    resources at 10,000 agents), and filtering :data:`CHECKS` again on every call cost a tuple each time."""
    grouped: dict[str, list[Check]] = {}
    for check in checks:
        grouped.setdefault(check.resource_type, []).append(check)
    return {resource_type: tuple(found) for resource_type, found in grouped.items()}


def _by_id(checks: Sequence[Check]) -> dict[str, Check]:
    """Each check by its id. Ids are unique: a cached violation names its check by id (agentid.plan.incremental)."""
    found = {check.id: check for check in checks}
    if len(found) != len(checks):
        raise ValueError("two provider checks share an id")
    return found


_CHECKS_BY_TYPE = _by_type(CHECKS)
#: Each check by its id (what the plan cache stores for a violation).
CHECKS_BY_ID = _by_id(CHECKS)


def checks_for(resource_type: str) -> tuple[Check, ...]:
    """The checks of ``resource_type`` (none for a type the checks do not cover), in :data:`CHECKS` order."""
    return _CHECKS_BY_TYPE.get(resource_type, ())


def check_resource(
    resource_type: str, name: str, inputs: Mapping[str, Any], agent: str | None = None
) -> Iterator[Violation]:
    """Every provider rule ``inputs`` break (camelCase keys, as the engine sees them)."""
    for check in checks_for(resource_type):
        problem = check.test(inputs)
        if problem is not None:
            yield Violation(check, resource_type, name, agent, problem)


def check_resources(resources: Iterator[Any] | Sequence[Any]) -> list[Violation]:
    """Violations of :class:`agentid.resources.PlannedResource`-like objects (``type``, ``name``, ``inputs``,
    ``agent``), in plan order."""
    found: list[Violation] = []
    for resource in resources:
        found.extend(check_resource(resource.type, resource.name, resource.inputs, resource.agent))
    return found
