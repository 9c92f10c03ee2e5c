"""Stack configuration: what differs between ``dev`` and ``prod`` lives in ``Pulumi.<stack>.yaml``, not in code.

Everything is read through ``pulumi.Config`` so the real deploy and the offline plan (which feeds the same file to the
SDK mock engine) parse it identically. Parsing is a pure function over plain values so that a wrong value is
reported as ``Pulumi.<stack>.yaml: agentid:<key>: what is wrong; what to do`` instead of a provider error halfway
through a deploy.

Keys (namespace ``agentid``):

* ``authorizationServer``: ``{name, audience, description?}`` to create a custom authorization server, or
  ``{id, audience, issuer?}`` to reuse an existing one;
* ``logStream``: ``{type: aws_eventbridge, name, accountId, region, eventSourceName}`` or
  ``{type: splunk_cloud_logstreaming, name, host, edition}``; the Splunk HEC token is the separate secret
  ``splunkHecToken`` (``pulumi config set --secret agentid:splunkHecToken ...``). ``eventSourceName``, ``host`` and
  the token are held to the provider's own validators (agentid/conformance/okta.py): no hyphen in an event source
  name, a Splunk Cloud host, a UUID token;
* ``networkZones``: ``{<zone name>: {id: nzo..., gateways?: [CIDR, ...]}}``: the Okta network zones agent files name
  (``access.network_zones``), resolved to this org's zone ids (Okta ids belong to one org);
* ``maxTokenLifetimeMinutes``: the longest access-token lifetime this stack allows (resource rules judge it);
* ``today``: optional ``YYYY-MM-DD`` deploy date override (expiry is judged on it);
* ``detections``: ``{enabled, targetArn, deployerIds?, allowedClientIds?, maxPatternChars?}``, consumed by the
  ``Detections`` component when the stream is EventBridge (``maxPatternChars``: AWS's event pattern size quota,
  2048 by default, at most 4096 after a Service Quotas increase).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agentid.conformance import okta as provider
from agentid.detect.clientids import CLIENT_PREFIXES, PRINCIPAL_PREFIXES, okta_id_problem
from agentid.detect.eventbridge import AWS_MAX_PATTERN_CHARS, DEFAULT_MAX_PATTERN_CHARS, MIN_PATTERN_CHARS
from agentid.network_zones import NETWORK_ZONES_KEY, NetworkZone, NetworkZoneError
from agentid.network_zones import parse_network_zones as _parse_network_zones
from agentid.stack import SHARD_KEY, ShardConfig, ShardConfigError, parse_shard_config

NAMESPACE = "agentid"

EVENTBRIDGE = "aws_eventbridge"
SPLUNK = "splunk_cloud_logstreaming"
LOG_STREAM_TYPES = (EVENTBRIDGE, SPLUNK)
SPLUNK_EDITIONS = provider.SPLUNK_EDITIONS

#: Okta's bounds for an access token lifetime (ServerPolicyRule.access_token_lifetime_minutes).
MIN_TOKEN_MINUTES, MAX_TOKEN_MINUTES = provider.TOKEN_LIFETIME_MINUTES
DEFAULT_MAX_TOKEN_MINUTES = 60

SPLUNK_TOKEN_KEY = "splunkHecToken"

DEFAULT_SERVER_DESCRIPTION = "Issues short-lived access tokens to registered AI agents (managed by agentid)."


ADOPT_KEY = "adopt"
#: Okta object ids: letters and digits (an app's client id may be longer and hold more characters; see _CLIENT_ID)
_OKTA_ID = re.compile(r"[A-Za-z0-9]{6,40}")


class ConfigError(ValueError):
    """A stack configuration value is missing or wrong. The message names the file, the key and the fix."""


@dataclass(frozen=True, slots=True)
class AuthorizationServerConfig:
    """Create a custom authorization server (``name`` set) or reuse one (``existing_id`` set)."""

    audience: str
    name: str | None = None
    description: str = DEFAULT_SERVER_DESCRIPTION
    existing_id: str | None = None
    issuer: str | None = None

    @property
    def reuses_existing(self) -> bool:
        return self.existing_id is not None


@dataclass(frozen=True, slots=True)
class LogStreamConfig:
    """Where Okta streams its System Log: AWS EventBridge or Splunk Cloud."""

    type: str
    name: str
    account_id: str | None = None
    region: str | None = None
    event_source_name: str | None = None
    host: str | None = None
    edition: str | None = None

    @property
    def is_eventbridge(self) -> bool:
        return self.type == EVENTBRIDGE


@dataclass(frozen=True, slots=True)
class DetectionsConfig:
    """Read by the ``Detections`` component (EventBridge rules on the Okta partner event bus)."""

    enabled: bool = False
    target_arn: str | None = None
    #: Okta ids of the principals that deploy (the Pulumi service app, a break-glass admin): their changes to agent
    #: identities are expected; anyone else's are tampering.
    deployer_ids: tuple[str, ...] = ()
    #: non-agent clients that legitimately get client-credentials tokens (not shadow agents)
    allowed_client_ids: tuple[str, ...] = ()
    #: the longest event pattern the account's EventBridge quota accepts (only the id lists above can approach it)
    max_pattern_chars: int = DEFAULT_MAX_PATTERN_CHARS


@dataclass(frozen=True, slots=True)
class Adoption:
    """``agentid:adopt.<identity>``: existing Okta objects this identity takes over with Pulumi's ``import`` option
    instead of creating new ones (written by ``agentid import``; docs/adopting.md). The app keeps its client id.

    ``label`` is the app's current label: Pulumi imports only when the declared inputs match the live object, so
    the app keeps it while adopted, and removing the entry after the adopting ``pulumi up`` relabels it
    ``agentid:<identity>`` in place. ``policy`` and ``rule`` are adopted on the stack's authorization server:
    ``server`` is its id (``pulumi stack output authorizationServerId``), or the id the stack reuses."""

    app: str
    label: str | None = None
    server: str | None = None
    policy: str | None = None
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class StackConfig:
    """Everything the program needs to know about one stack. Secrets are not held here (see ``splunkHecToken``)."""

    stack: str
    org_name: str
    base_url: str
    authorization_server: AuthorizationServerConfig
    log_stream: LogStreamConfig
    max_token_lifetime_minutes: int = DEFAULT_MAX_TOKEN_MINUTES
    detections: DetectionsConfig = DetectionsConfig()
    today: dt.date | None = None
    #: which part of the environment this stack deploys (``agentid:shard``; see agentid/stack.py, docs/scale.md)
    shard: ShardConfig = dataclasses.field(default_factory=ShardConfig)
    #: ``agentid:networkZones`` by zone name
    network_zones: Mapping[str, NetworkZone] = dataclasses.field(default_factory=dict)
    #: ``agentid:adopt`` by identity name
    adopt: Mapping[str, Adoption] = dataclasses.field(default_factory=dict)

    @property
    def org_url(self) -> str:
        """The Okta org URL: the issuer of the org authorization server (the only one minting ``okta.*`` scopes)."""
        return f"https://{self.org_name}.{self.base_url}"

    @property
    def file(self) -> str:
        return f"Pulumi.{self.stack}.yaml"


def _where(stack: str, key: str) -> str:
    return f"Pulumi.{stack}.yaml: {NAMESPACE}:{key}"


def _mapping(value: Any, stack: str, key: str, example: str) -> Mapping[str, Any]:
    if value is None:
        raise ConfigError(f"{_where(stack, key)} is not set; add it, e.g. `{example}`")
    if not isinstance(value, Mapping):
        raise ConfigError(f"{_where(stack, key)} must be a mapping, e.g. `{example}`, not {value!r}")
    return value


def _text(value: Mapping[str, Any], field: str, stack: str, key: str, *, required: bool = True) -> str | None:
    found = value.get(field)
    if found is None or found == "":
        if required:
            raise ConfigError(f"{_where(stack, key)}.{field} is required")
        return None
    if not isinstance(found, str):
        raise ConfigError(f"{_where(stack, key)}.{field} must be a string, not {found!r}")
    return found


def _unknown_fields(value: Mapping[str, Any], allowed: set[str], stack: str, key: str) -> None:
    """A misspelt field would otherwise be ignored silently and the default deployed instead."""
    extra = sorted(set(value) - allowed)
    if extra:
        raise ConfigError(
            f"{_where(stack, key)} has unknown field(s) {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}"
        )


def parse_authorization_server(value: Any, stack: str) -> AuthorizationServerConfig:
    key = "authorizationServer"
    data = _mapping(value, stack, key, "{name: agents, audience: api://agents}")
    _unknown_fields(data, {"name", "audience", "description", "id", "issuer"}, stack, key)
    audience = _text(data, "audience", stack, key)
    existing = _text(data, "id", stack, key, required=False)
    name = _text(data, "name", stack, key, required=False)
    if existing and name:
        raise ConfigError(f"{_where(stack, key)}: set `id` to reuse a server or `name` to create one, not both")
    if not existing and not name:
        raise ConfigError(f"{_where(stack, key)}: set `name` (create a server) or `id` (reuse an existing one)")
    if existing == "default":
        raise ConfigError(
            f"{_where(stack, key)}.id is Okta's `default` authorization server, which every other app of the org may "
            "use; give agents their own custom server (set `name` instead) so their policies stay isolated"
        )
    description = _text(data, "description", stack, key, required=False)
    return AuthorizationServerConfig(
        audience=audience or "",
        name=name,
        description=description or DEFAULT_SERVER_DESCRIPTION,
        existing_id=existing,
        issuer=_text(data, "issuer", stack, key, required=False),
    )


_AWS_ACCOUNT = re.compile(r"[0-9]{12}")


def parse_log_stream(value: Any, stack: str) -> LogStreamConfig:
    key = "logStream"
    data = _mapping(value, stack, key, "{type: aws_eventbridge, name: ..., accountId: ..., region: ...}")
    kind = _text(data, "type", stack, key)
    if kind not in LOG_STREAM_TYPES:
        raise ConfigError(f"{_where(stack, key)}.type must be one of {', '.join(LOG_STREAM_TYPES)}, not {kind!r}")
    name = _text(data, "name", stack, key) or ""
    if kind == EVENTBRIDGE:
        _unknown_fields(data, {"type", "name", "accountId", "region", "eventSourceName"}, stack, key)
        account = _text(data, "accountId", stack, key) or ""
        if not _AWS_ACCOUNT.fullmatch(account):
            raise ConfigError(f"{_where(stack, key)}.accountId must be a 12-digit AWS account id, not {account!r}")
        source = _text(data, "eventSourceName", stack, key) or ""
        # The provider's regex, read as Go reads it (agentid/conformance/okta.py): the Okta API accepts hyphens,
        # pulumi-okta 7.0.1 refuses them at `pulumi preview`, so the stream and all that waits on it never deploy.
        if not provider.is_event_source_name(source):
            hint = f" (try {source.replace('-', '_')!r})" if "-" in source else ""
            raise ConfigError(
                f"{_where(stack, key)}.eventSourceName must be 1-75 letters, digits, '.' or '_' (no hyphen: "
                f"pulumi-okta 7.0.1 refuses it, {provider.EVENT_SOURCE_NAME_SOURCE}), not {source!r}{hint}"
            )
        return LogStreamConfig(
            type=kind, name=name, account_id=account, region=_text(data, "region", stack, key), event_source_name=source
        )
    _unknown_fields(data, {"type", "name", "host", "edition"}, stack, key)
    host = _text(data, "host", stack, key) or ""
    if "://" in host or "/" in host:
        raise ConfigError(f"{_where(stack, key)}.host is a bare domain such as acme.splunkcloud.com, not {host!r}")
    if not provider.is_splunk_host(host):
        raise ConfigError(
            f"{_where(stack, key)}.host must be a Splunk Cloud host, NAME.splunkcloud.com (or NAME.splunkcloud.gc.com, "
            f"NAME.splunkcloud.fed.com, NAME.splunkcloud.mil), lower case, without `http-inputs-` or a port, as "
            f"pulumi-okta 7.0.1 requires ({provider.SPLUNK_HOST_SOURCE}); not {host!r}"
        )
    edition = _text(data, "edition", stack, key)
    if edition not in SPLUNK_EDITIONS:
        raise ConfigError(f"{_where(stack, key)}.edition must be one of {', '.join(SPLUNK_EDITIONS)}, not {edition!r}")
    return LogStreamConfig(type=kind, name=name, host=host, edition=edition)


def check_splunk_token(token: str, stack: str) -> str:
    """The Splunk HEC token as pulumi-okta 7.0.1 validates it (a UUID). Applied to the decrypted secret at deploy;
    the offline plan cannot decrypt it and skips its placeholder. The token itself is never echoed."""
    if token == "[secret]" or provider.is_splunk_token(token):
        return token
    raise ConfigError(
        f"{_where(stack, SPLUNK_TOKEN_KEY)} is not a Splunk HEC token: pulumi-okta 7.0.1 wants a UUID such as "
        f"xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx ({provider.SPLUNK_TOKEN_SOURCE}); copy it from Splunk's HTTP Event "
        f"Collector settings and run `pulumi config set --secret {NAMESPACE}:{SPLUNK_TOKEN_KEY} ...`"
    )


def parse_network_zones(value: Any, stack: str) -> dict[str, NetworkZone]:
    """``agentid:networkZones``: zone name -> this org's zone id (and optional gateway CIDRs). The parser is
    :mod:`agentid.network_zones`, shared with the detections' offline reader of the same stack file."""
    try:
        return _parse_network_zones(value, f"Pulumi.{stack}.yaml")
    except NetworkZoneError as exc:
        raise ConfigError(str(exc)) from None


def parse_adopt(value: Any, stack: str, server: AuthorizationServerConfig) -> dict[str, Adoption]:
    """``agentid:adopt``: identity -> {app, label, policy, rule} of existing Okta objects to import."""
    key = ADOPT_KEY
    if value is None:
        return {}
    data = _mapping(value, stack, key, "{invoice-export: {app: 0oa..., policy: 00p..., rule: 0pr...}}")
    adopted: dict[str, Adoption] = {}
    for name, entry in data.items():
        where = f"{_where(stack, key)}.{name}"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where} must be a mapping such as {{app: 0oa..., policy: 00p..., rule: 0pr...}}")
        _unknown_fields(entry, {"app", "label", "server", "policy", "rule"}, stack, f"{key}.{name}")
        ids = {}
        for field_name in ("app", "server", "policy", "rule"):
            found = entry.get(field_name)
            if found is not None and (not isinstance(found, str) or not _OKTA_ID.fullmatch(found)):
                raise ConfigError(f"{where}.{field_name} must be an Okta id (letters and digits), not {found!r}")
            ids[field_name] = found
        if not ids["app"]:
            raise ConfigError(f"{where}.app is required: the id of the app to adopt (its client id)")
        if bool(ids["policy"]) != bool(ids["rule"]):
            raise ConfigError(f"{where}: adopt the policy and its rule together (set both `policy` and `rule`)")
        if server.reuses_existing and ids["server"] and ids["server"] != server.existing_id:
            raise ConfigError(
                f"{where}.server is {ids['server']}, but the stack uses server {server.existing_id}: a policy can be "
                "adopted only on the stack's own authorization server; drop `server`, `policy` and `rule`"
            )
        if ids["policy"] and not (ids["server"] or server.reuses_existing):
            raise ConfigError(
                f"{where}.server is required with `policy`: the id of the stack's authorization server "
                "(`pulumi stack output authorizationServerId`)"
            )
        label = entry.get("label")
        if label is not None and (not isinstance(label, str) or not label.strip()):
            raise ConfigError(f"{where}.label must be the app's current label (text)")
        adopted[str(name)] = Adoption(
            app=ids["app"], label=label, server=ids["server"], policy=ids["policy"], rule=ids["rule"]
        )
    return adopted


def parse_detections(value: Any, stack: str) -> DetectionsConfig:
    key = "detections"
    if value is None:
        return DetectionsConfig()
    data = _mapping(value, stack, key, "{enabled: true, targetArn: arn:aws:sns:...}")
    _unknown_fields(data, {"enabled", "targetArn", "deployerIds", "allowedClientIds", "maxPatternChars"}, stack, key)
    enabled = data.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{_where(stack, key)}.enabled must be true or false, not {enabled!r}")
    target = _text(data, "targetArn", stack, key, required=enabled)
    # The alerts go to people through SNS or to a queue a SIEM drains; other targets need a role and input shaping.
    if target is not None and not re.fullmatch(
        r"arn:aws[a-z-]*:(sns|sqs):[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+", target
    ):
        raise ConfigError(
            f"{_where(stack, key)}.targetArn must be the ARN of an SNS topic or SQS queue "
            f"(arn:aws:sns:REGION:ACCOUNT:NAME or arn:aws:sqs:...), not {target!r}"
        )
    lists = {}
    for field, prefixes in (("deployerIds", PRINCIPAL_PREFIXES), ("allowedClientIds", CLIENT_PREFIXES)):
        found = data.get(field, [])
        if not isinstance(found, list) or not all(isinstance(item, str) and item for item in found):
            raise ConfigError(
                f"{_where(stack, key)}.{field} must be a list of Okta ids (e.g. [0oa1...]), not {found!r}"
            )
        # Okta ids only: the Sigma rules read * and ? as wildcards (one entry would exempt everyone), and the deploy
        # job passes each entry to the CLI as an argument.
        for index, item in enumerate(found):
            problem = okta_id_problem(item, prefixes)
            if problem is not None:
                raise ConfigError(f"{_where(stack, key)}.{field}[{index}]: {problem}")
        lists[field] = tuple(found)
    return DetectionsConfig(
        enabled=enabled,
        target_arn=target,
        deployer_ids=lists["deployerIds"],
        allowed_client_ids=lists["allowedClientIds"],
        max_pattern_chars=parse_max_pattern_chars(data.get("maxPatternChars"), stack),
    )


def parse_max_pattern_chars(value: Any, stack: str) -> int:
    """AWS rejects a longer pattern at deploy (PutRule), so a value above what AWS can grant is refused here."""
    if value is None:
        return DEFAULT_MAX_PATTERN_CHARS
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_PATTERN_CHARS <= value <= AWS_MAX_PATTERN_CHARS:
        raise ConfigError(
            f"{_where(stack, 'detections')}.maxPatternChars must be a whole number of characters between "
            f"{MIN_PATTERN_CHARS} and {AWS_MAX_PATTERN_CHARS}, not {value!r}: AWS's event pattern quota is "
            f"{DEFAULT_MAX_PATTERN_CHARS} by default; set {AWS_MAX_PATTERN_CHARS} only after Service Quotas has "
            "raised it for the account"
        )
    return value


def parse_max_token_minutes(value: Any, stack: str) -> int:
    if value is None:
        return DEFAULT_MAX_TOKEN_MINUTES
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_TOKEN_MINUTES <= value <= MAX_TOKEN_MINUTES:
        raise ConfigError(
            f"{_where(stack, 'maxTokenLifetimeMinutes')} must be a whole number of minutes between "
            f"{MIN_TOKEN_MINUTES} and {MAX_TOKEN_MINUTES} (Okta's bounds), not {value!r}"
        )
    return value


def parse_today(value: Any, stack: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{_where(stack, 'today')} must be a date as YYYY-MM-DD, not {value!r}") from None


def parse_stack_config(stack: str, okta: Mapping[str, Any], agentid: Mapping[str, Any]) -> StackConfig:
    """Build a :class:`StackConfig` from plain values (``okta:*`` and ``agentid:*`` keys without namespace)."""
    org_name, base_url = okta.get("orgName"), okta.get("baseUrl")
    for key, found in (("orgName", org_name), ("baseUrl", base_url)):
        if not isinstance(found, str) or not found:
            raise ConfigError(
                f"Pulumi.{stack}.yaml: okta:{key} is not set; run `pulumi config set okta:{key} <value>` "
                "(orgName is the part before .okta.com, baseUrl is okta.com, oktapreview.com or okta-emea.com)"
            )
    authorization_server = parse_authorization_server(agentid.get("authorizationServer"), stack)
    return StackConfig(
        stack=stack,
        org_name=str(org_name),
        base_url=str(base_url),
        authorization_server=authorization_server,
        log_stream=parse_log_stream(agentid.get("logStream"), stack),
        max_token_lifetime_minutes=parse_max_token_minutes(agentid.get("maxTokenLifetimeMinutes"), stack),
        detections=parse_detections(agentid.get("detections"), stack),
        today=parse_today(agentid.get("today"), stack),
        shard=_parse_shard(agentid.get(SHARD_KEY), stack),
        network_zones=parse_network_zones(agentid.get(NETWORK_ZONES_KEY), stack),
        adopt=parse_adopt(agentid.get(ADOPT_KEY), stack, authorization_server),
    )


def _parse_shard(value: Any, stack: str) -> ShardConfig:
    try:
        return parse_shard_config(value, stack)
    except ShardConfigError as exc:
        raise ConfigError(str(exc)) from None


def load_stack_config() -> StackConfig:
    """Read the current stack's configuration through ``pulumi.Config`` (real engine or mock engine alike)."""
    import pulumi

    okta, agentid = pulumi.Config("okta"), pulumi.Config(NAMESPACE)
    objects = {}
    for key in ("authorizationServer", "logStream", "detections", SHARD_KEY, NETWORK_ZONES_KEY, ADOPT_KEY):
        try:
            objects[key] = agentid.get_object(key)
        except Exception as exc:  # pulumi raises ConfigTypeError on malformed JSON
            raise ConfigError(f"{_where(pulumi.get_stack(), key)} is not a valid mapping: {exc}") from None
    return parse_stack_config(
        pulumi.get_stack(),
        {"orgName": okta.get("orgName"), "baseUrl": okta.get("baseUrl")},
        {
            **objects,
            "maxTokenLifetimeMinutes": agentid.get("maxTokenLifetimeMinutes"),
            "today": agentid.get("today"),
        },
    )
