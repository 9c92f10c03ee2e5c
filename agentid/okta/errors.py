"""Errors from the live org, worded for a person: what failed, Okta's own code and summary, and what to do."""

from __future__ import annotations

#: What to do about the Okta error codes a read-only client meets (https://developer.okta.com/docs/reference/error-codes/).
_ADVICE = {
    "E0000004": "the credentials were refused: check OKTA_CLIENT_ID and that the key is the one registered on the app",
    "E0000005": "the request is not valid for this org",
    "E0000006": "the service app lacks a scope or an admin role for this endpoint: grant the *.read scopes and the "
    "READ_ONLY_ADMIN role (docs/adopting.md)",
    "E0000007": "the object does not exist (deleted while reading?)",
    "E0000011": "the access token is invalid or expired",
    "E0000015": "this org lacks the feature (custom authorization servers need API Access Management)",
    "E0000022": "the endpoint is not available to this org",
    "E0000047": "Okta's rate limit was exceeded and retries ran out: run again later or raise the app's rate limit",
}


class OktaError(Exception):
    """A request to the org failed. ``str()`` is one line a person can act on; it never holds a credential."""

    def __init__(
        self, message: str, *, status: int | None = None, code: str | None = None, summary: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.summary = status, code, summary

    @classmethod
    def from_response(cls, method: str, path: str, status: int, body: object) -> OktaError:
        """An Okta error object (``errorCode``, ``errorSummary``) or an OAuth error (``error``, ``error_description``)
        as one message; anything else as the status alone (a body is never echoed raw: it may be an HTML page)."""
        code = summary = None
        if isinstance(body, dict):
            if isinstance(body.get("errorCode"), str):
                code, summary = body["errorCode"], str(body.get("errorSummary") or "")
            elif isinstance(body.get("error"), str):
                code, summary = body["error"], str(body.get("error_description") or "")
        text = f"Okta answered {status} to {method} {path}"
        if code:
            text += f": {code} {summary}".rstrip()
        advice = _ADVICE.get(code or "") or {401: _ADVICE["E0000011"], 403: _ADVICE["E0000006"]}.get(status)
        if code == "invalid_client":
            advice = _ADVICE["E0000004"]
        elif code in ("invalid_dpop_proof", "use_dpop_nonce"):
            advice = "the app requires DPoP, which agentid does not send: clear 'Require DPoP' on the reader app"
        elif code == "invalid_scope":
            advice = "the service app is not granted the scopes asked for: grant them (docs/adopting.md)"
        if advice:
            text += f" ({advice})"
        return cls(text, status=status, code=code, summary=summary)


class ConnectionSettingsError(ValueError):
    """The org URL or the credentials are missing or unusable (a usage error, exit 2)."""


#: what a command reading the org catches and reports as one line (exit 2): the key is parsed lazily, at sign-in
READ_ERRORS = (OktaError, ConnectionSettingsError)
