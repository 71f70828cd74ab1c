"""Microsoft Graph v1.0 as the sandbox answers it: routes, Microsoft's rules, OData shapes.

Follows Microsoft's documentation (each rule names its page or issue). Every error message is
marked ``# documented`` (quoted from Microsoft's docs or a Microsoft issue) or ``# best reading``
(the exact text or status is not documented; this is our faithful guess). Where the sandbox and
Microsoft's documentation disagree, the sandbox is wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from core.roles import GLOBAL_ADMIN, RULES_DOCUMENTED, Write, allowed_roles
from sandbox import permissions as perm
from sandbox.faults import Fault
from sandbox.state import TenantStore
from sandbox.tokens import TokenError, decode
from sandbox.wire import Request, Response, graph_error

MAX_BATCH = 20  # documented, https://learn.microsoft.com/graph/json-batching
DEFAULT_PAGE = 100
MAX_PAGE = 999

FORBIDDEN = "Insufficient privileges to complete the operation."  # documented, https://learn.microsoft.com/graph/errors
MANAGED_TO_FEDERATED = ("Changing authenticationType from Managed to Federated is currently "
                        "not supported.")  # documented, https://learn.microsoft.com/graph/api/domain-post-federationconfiguration
THROTTLED = "Please retry again later."  # documented, https://learn.microsoft.com/graph/throttling
ALREADY_CONFIGURED = "Domain already has Federation Configuration set."  # documented, API-05
# documented, https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain
# (domains-verify-custom-subdomain.md: "a subdomain whose parent domain is
# unverified", 400)
UNVERIFIED_PROMOTE = ("Unverified domains can't be promoted. Please verify the domain before "
                      "promotion.")
# Only these can be added or removed through the API
# (https://learn.microsoft.com/graph/api/resources/domain, supportedServices).
API_SERVICES = frozenset({"Email", "OfficeCommunicationsOnline", "Yammer"})
ALL_SERVICES = API_SERVICES | {"Sharepoint", "EmailInternalRelayOnly", "SharePointDefaultDomain",
                               "FullRedelegation", "SharePointPublic", "OrgIdAuthentication",
                               "Intune"}
# issuerUri must be an absolute URI (admin-pain-points API-04: an entity ID without a scheme,
# e.g. JumpCloud's bare default or Okta's "1domain:appId", is refused). Rule and message are
# our best reading: RFC 3986 scheme, a colon, then no whitespace.
_ABSOLUTE_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$")

USER_DEFAULT_PROPERTIES = ("businessPhones", "displayName", "givenName", "jobTitle", "mail",
                           "mobilePhone", "officeLocation", "preferredLanguage", "surname",
                           "userPrincipalName", "id")
USER_PROPERTIES = frozenset(USER_DEFAULT_PROPERTIES) | {
    "accountEnabled", "userType", "onPremisesSyncEnabled", "onPremisesImmutableId",
    "createdDateTime"}

FEDERATION_ENUMS: dict[str, frozenset[str]] = {
    "preferredAuthenticationProtocol": frozenset({"wsFed", "saml", "unknownFutureValue"}),
    "promptLoginBehavior": frozenset({"translateToFreshPasswordAuthentication", "nativeSupport",
                                      "disabled", "unknownFutureValue"}),
    "federatedIdpMfaBehavior": frozenset({"acceptIfMfaDoneByFederatedIdp",
                                          "enforceMfaByFederatedIdp", "rejectMfaByFederatedIdp",
                                          "unknownFutureValue"}),
}
FEDERATION_STRINGS = ("displayName", "issuerUri", "metadataExchangeUri", "signingCertificate",
                      "nextSigningCertificate", "passiveSignInUri", "activeSignInUri",
                      "signOutUri", "passwordResetUri")
FEDERATION_WRITABLE = frozenset(FEDERATION_STRINGS) | set(FEDERATION_ENUMS) | {
    "isSignedAuthenticationRequestRequired"}
FEDERATION_READ_ONLY = frozenset({"id", "signingCertificateUpdateStatus", "@odata.type"})
FEDERATION_TYPE = "#microsoft.graph.internalDomainFederation"

DOMAIN_WRITABLE = frozenset({"authenticationType", "isDefault", "passwordValidityPeriodInDays",
                             "passwordNotificationWindowInDays", "supportedServices"})
DOMAIN_READ_ONLY = frozenset({"id", "isVerified", "isRoot", "isInitial", "isAdminManaged",
                              "availabilityStatus", "state"})


@dataclass
class Caller:
    """Who a request acts for, from a verified access token."""

    user: dict[str, Any]
    scopes: frozenset[str]
    roles: frozenset[str]


class ErrorResponse(Exception):
    """Raised inside a handler to answer with a Graph error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def not_found(name: str) -> ErrorResponse:
    # best reading: the directory's usual 404 text; https://learn.microsoft.com/graph/errors quotes
    # its start for a missing
    # federationConfiguration ("Resource 'federationConfiguration' does not exist").
    return ErrorResponse(404, "Request_ResourceNotFound",
                      f"Resource '{name}' does not exist or one of its queried reference-property "
                      "objects are not present.")


def bad_request(message: str, code: str = "Request_BadRequest") -> ErrorResponse:
    return ErrorResponse(400, code, message)


class Graph:
    """The Graph endpoints over one ``TenantStore``."""

    def __init__(self, store: TenantStore, *, graph_url: str,
                 expired_before_ns: Callable[[], int],
                 item_fault: Callable[[str], Fault | None],
                 role_rules: str = RULES_DOCUMENTED,
                 half_federated_stuck: Callable[[], bool] = lambda: False) -> None:
        self.store = store
        # The fault SPEC's stuck-half-federated: a half-federated domain cannot be put back.
        self.half_federated_stuck = half_federated_stuck
        # Which of core.roles' rule sets decides who may write (FEDERATOR_SANDBOX_ROLES).
        self.role_rules = role_rules
        self.graph_url = graph_url
        self.expired_before_ns = expired_before_ns
        self.item_fault = item_fault
        # Whether "onPremisesImmutableId eq/ne null" is answered (see check_user_filter).
        self.immutable_null = True

    # ----------------------------------------------------------------------------------- entry

    def handle(self, request: Request, *, in_batch: bool = False) -> Response:
        """Authenticate, route and run one Graph request; never raises."""
        try:
            caller = self.authenticate(request)
            if request.method in ("GET", "HEAD"):
                with self.store.lock:
                    self.store.refresh()
                    response = self.route(request, caller, in_batch=in_batch)
            else:
                # A write is one read-modify-write under the tenant's cross-process lock; an
                # error undoes any change not yet saved (Graph changes nothing on a 4xx).
                with self.store.transaction():
                    response = self.route(request, caller, in_batch=in_batch)
        except ErrorResponse as exc:
            extra = {}
            if exc.status == 401:
                extra["WWW-Authenticate"] = ('Bearer realm="", authorization_uri="https://login.'
                                             'microsoftonline.com/common/oauth2/authorize", '
                                             'client_id="00000003-0000-0000-c000-000000000000"')
            response = graph_error(request, exc.status, exc.code, exc.message, headers=extra)
        response.headers.setdefault("request-id", request.request_id)
        response.headers.setdefault("client-request-id",
                                    request.header("client-request-id") or request.request_id)
        return response

    def authenticate(self, request: Request) -> Caller:
        header = request.header("authorization") or ""
        scheme, _, token = header.partition(" ")
        if not token.strip() or scheme.lower() != "bearer":
            # best reading: Graph's answer to a request without a token.
            raise ErrorResponse(401, "InvalidAuthenticationToken", "Access token is empty.")
        try:
            claims = decode(token.strip(), self.store.secret)
        except TokenError as exc:
            if exc.reason == "expired":
                raise self._expired() from exc
            raise ErrorResponse(401, "InvalidAuthenticationToken",
                             "Access token validation failure.") from exc  # best reading
        if claims.get("tid") != self.store.tenant_id:
            raise ErrorResponse(401, "InvalidAuthenticationToken",
                             "Access token validation failure. Invalid audience.")  # best reading
        if int(claims.get("xms_sbx_t", 0)) < self.expired_before_ns():
            raise self._expired()
        user = self.store.user_by_id(str(claims.get("oid", "")))
        if user is None:
            raise ErrorResponse(401, "InvalidAuthenticationToken",
                             "Access token validation failure.")  # best reading
        scopes = frozenset(str(claims.get("scp", "")).split())
        return Caller(user=user, scopes=scopes, roles=frozenset(claims.get("wids") or ()))

    @staticmethod
    def _expired() -> ErrorResponse:
        # best reading: the text Graph gives for an expired token.
        return ErrorResponse(401, "InvalidAuthenticationToken",
                          "Lifetime validation failed, the token is expired.")

    @staticmethod
    def require(caller: Caller, scopes: Iterable[str],
                roles: Iterable[str] | None = None) -> None:
        """403 ``Authorization_RequestDenied`` unless the token has one of ``scopes`` and the
        user one of ``roles`` (Global Administrator always qualifies)."""
        if not caller.scopes & frozenset(scopes):
            raise ErrorResponse(403, "Authorization_RequestDenied", FORBIDDEN)
        if roles is not None and not caller.roles & (frozenset(roles) | {GLOBAL_ADMIN}):
            raise ErrorResponse(403, "Authorization_RequestDenied", FORBIDDEN)

    def require_write(self, caller: Caller, scopes: Iterable[str], write: Write) -> None:
        """:meth:`require` with the roles ``core.roles`` gives ``write`` under the sandbox's rule
        set (the documented lists by default; the role definitions allow more)."""
        self.require(caller, scopes, allowed_roles(write, self.role_rules))

    # --------------------------------------------------------------------------------- routing

    def route(self, request: Request, caller: Caller, *, in_batch: bool) -> Response:
        path = request.path.removeprefix("/v1.0")
        # domains('contoso.com') is the OData key syntax for domains/contoso.com.
        path = re.sub(r"\('([^']*)'\)", lambda m: "/" + m.group(1), path)
        parts = [p for p in path.split("/") if p]
        lowered = [p.lower() for p in parts]
        method = request.method
        if not parts:
            raise bad_request("Invalid request.", "BadRequest")  # best reading
        head = lowered[0]
        if head == "$batch" and len(parts) == 1:
            self._allow(method, "POST")
            if in_batch:
                raise bad_request("Nested batch requests are not supported.",
                                  "BadRequest")  # best reading
            return self.batch(request)
        if head == "domains":
            return self.domains(request, caller, parts[1:], lowered[1:])
        if head == "me":
            return self.me(request, caller, lowered[1:])
        if head == "users":
            self._allow(method, "GET")
            if len(parts) == 1:
                return self.list_users(request, caller)
            if len(parts) == 2 and parts[1] == "$count":
                return self.list_users(request, caller, count_only=True)
            if len(parts) == 2:
                return self.get_user(request, caller, parts[1])
        if head == "organization" and len(parts) == 1:
            self._allow(method, "GET")
            return self.organization(request, caller)
        if lowered[:3] == ["rolemanagement", "directory", "roleassignments"] and len(parts) == 3:
            self._allow(method, "GET")
            return self.role_assignments(request, caller)
        if lowered[:3] == ["rolemanagement", "directory", "roledefinitions"] and len(parts) == 3:
            self._allow(method, "GET")
            return self.role_definitions(request, caller)
        # best reading: OData's text for an unknown segment.
        raise bad_request(f"Resource not found for the segment '{parts[-1]}'.", "BadRequest")

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method not in allowed:
            # best reading
            raise ErrorResponse(405, "Request_BadRequest",
                             f"The HTTP method '{method}' is not supported for this resource.")

    def context(self, fragment: str) -> str:
        return f"{self.graph_url}/$metadata#{fragment}"

    # --------------------------------------------------------------------------------- domains

    def root_of(self, domain: dict[str, Any]) -> dict[str, Any] | None:
        """The verified root domain a non-root subdomain inherits from
        (https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain), if
        any."""
        if domain["isRoot"] or not domain["isVerified"]:
            return None
        labels = domain["id"].split(".")
        for cut in range(1, len(labels) - 1):
            parent = self.store.domain(".".join(labels[cut:]))
            if parent is not None and parent["isVerified"]:
                if parent["isRoot"]:
                    return parent
                return self.root_of(parent)
        return None

    def parent_of(self, domain: dict[str, Any]) -> dict[str, Any] | None:
        """The nearest parent domain in the tenant (verified or not), for a non-root domain."""
        if domain["isRoot"]:
            return None
        labels = domain["id"].split(".")
        for cut in range(1, len(labels) - 1):
            parent = self.store.domain(".".join(labels[cut:]))
            if parent is not None:
                return parent
        return None

    def effective_auth(self, domain: dict[str, Any]) -> str:
        root = self.root_of(domain)
        return str(root["authenticationType"] if root else domain["authenticationType"])

    def domain_view(self, domain: dict[str, Any]) -> dict[str, Any]:
        view = dict(domain)
        view["authenticationType"] = self.effective_auth(domain)
        return view

    def _expand_domain(self, domain: dict[str, Any], request: Request) -> dict[str, Any]:
        """The domain view with ``$expand`` applied: ``rootDomain`` is expandable (https://learn.microsoft.com/graph/api/resources/domain
        relationships); ``federationConfiguration`` is not ("$expand not supported on the
        domain", https://learn.microsoft.com/graph/api/resources/internaldomainfederation), so a
        client cannot learn a domain's federation that way."""
        view = self.domain_view(domain)
        raw = request.query.get("$expand", "")
        for name in (n.strip() for n in raw.split(",") if n.strip()):
            if name.lower() == "rootdomain":
                root = self.root_of(domain)
                view["rootDomain"] = self.domain_view(root) if root else None
            elif name.lower() == "federationconfiguration":
                # documented: not supported
                # (https://learn.microsoft.com/graph/api/resources/internaldomainfederation);
                # status, code and message best reading.
                raise bad_request("Expanding 'federationConfiguration' is not supported.",
                                  "Request_UnsupportedQuery")
            else:
                # best reading: OData's text for an unknown navigation property
                raise bad_request(f"Could not find a property named '{name}' on type "
                                  "'microsoft.graph.domain'.")
        return view

    def _domain(self, name: str) -> dict[str, Any]:
        domain = self.store.domain(name)
        if domain is None:
            raise not_found(name)
        return domain

    def domains(self, request: Request, caller: Caller, parts: list[str],
                lowered: list[str]) -> Response:
        method = request.method
        if not parts:
            self._allow(method, "GET", "POST")
            if method == "POST":
                return self.create_domain(request, caller)
            self.require(caller, perm.SCOPES_DOMAIN_READ)
            items = [self._expand_domain(d, request) for d in self.store.data["domains"]]
            known = frozenset(items[0]) if items else frozenset()
            clauses = parse_filter(request.query.get("$filter", ""))
            items = [self._select(i, request, known, "domain") for i in items
                     if matches(i, clauses, known)]
            return Response(200, {"@odata.context": self.context("domains"), "value": items})
        domain = self._domain(parts[0])
        if len(parts) == 1:
            self._allow(method, "GET", "PATCH")
            if method == "GET":
                self.require(caller, perm.SCOPES_DOMAIN_READ)
                view = self._expand_domain(domain, request)
                return Response(200, {"@odata.context": self.context("domains/$entity"),
                                      **self._select(view, request, frozenset(view), "domain")})
            return self.patch_domain(request, caller, domain)
        sub = lowered[1]
        if sub == "federationconfiguration":
            if len(parts) == 2:
                self._allow(method, "GET", "POST")
                if method == "GET":
                    return self.list_federation(caller, domain)
                return self.create_federation(request, caller, domain)
            if len(parts) == 3:
                self._allow(method, "GET", "PATCH", "DELETE")
                return self.federation_item(request, caller, domain, parts[2])
        if sub == "domainnamereferences" and len(parts) == 2:
            self._allow(method, "GET")
            self.require(caller, perm.SCOPES_DOMAIN_READ)
            if self.effective_auth(domain) == "Federated":
                # documented (https://learn.microsoft.com/graph/api/resources/domain,
                # microsoft-graph-docs #10484)
                raise bad_request("This API is not supported for federated domains.",
                                  "Request_UnsupportedQuery")
            suffix = "@" + domain["id"].lower()
            refs = [{"@odata.type": "#microsoft.graph.user",
                     **{k: u.get(k) for k in USER_DEFAULT_PROPERTIES}}
                    for u in self.store.data["users"]
                    if u["userPrincipalName"].lower().endswith(suffix)]
            return Response(200, {"@odata.context": self.context("directoryObjects"),
                                  "value": refs})
        if sub == "promote" and len(parts) == 2:
            self._allow(method, "POST")
            return self.promote(caller, domain)
        if sub == "rootdomain" and len(parts) == 2:
            self._allow(method, "GET")
            self.require(caller, perm.SCOPES_DOMAIN_READ)
            root = self.root_of(domain)
            if root is None:
                raise not_found("rootDomain")
            return Response(200, {"@odata.context": self.context("domains/$entity"),
                                  **self.domain_view(root)})
        raise bad_request(f"Resource not found for the segment '{parts[-1]}'.",
                          "BadRequest")  # best reading

    def create_domain(self, request: Request, caller: Caller) -> Response:
        """``POST /domains``: add an unverified domain. Federator never calls it; it is here for
        Microsoft's documented refusals
        (https://learn.microsoft.com/graph/api/domain-post-federationconfiguration,
        https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain,
        admin-pain-points MD-03)."""
        self.require(caller, perm.SCOPES_DOMAIN_WRITE, perm.ROLES_DOMAIN_CREATE)
        body = self._json_object(request)
        name = body.get("id")
        if not isinstance(name, str) or not re.fullmatch(r"(?i)[a-z0-9-]+(\.[a-z0-9-]+)+", name):
            raise self._invalid_value("id", "Domain")
        if str(body.get("authenticationType") or "Managed").lower() == "federated":
            # documented (https://learn.microsoft.com/graph/api/domain-post-federationconfiguration,
            # https://learn.microsoft.com/graph/errors, entra-docs #281): 400 Request_BadRequest.
            raise bad_request("Creation of federated domain is not allowed.")
        if self.store.domain(name) is not None:
            # best reading
            raise ErrorResponse(409, "Request_MultipleObjectsWithSameKeyValue",
                             "Another object with the same value for property id already exists.")
        labels = name.lower().split(".")
        parents = [self.store.domain(".".join(labels[cut:])) for cut in range(1, len(labels) - 1)]
        parent = next((d for d in parents if d is not None), None)
        if parent is not None and self.effective_auth(parent) == "Federated":
            # documented text
            # (https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain:
            # adding a managed subdomain under a federated parent
            # fails with it, in the portal); that Graph answers the same, 400, is best reading.
            raise bad_request("One or more properties contains invalid values.")
        domain: dict[str, Any] = {
            "id": name, "authenticationType": "Managed", "availabilityStatus": None,
            "isAdminManaged": True, "isDefault": False, "isInitial": False, "isRoot": False,
            "isVerified": False, "passwordNotificationWindowInDays": 14,
            "passwordValidityPeriodInDays": 2147483647, "supportedServices": [], "state": None,
        }
        self.store.data["domains"].append(domain)
        self.store.save()
        return Response(201, {"@odata.context": self.context("domains/$entity"), **domain})

    def _record_realm(self, domain_id: str) -> None:
        """Append the domain's current sign-in state to its home-realm history (see realm.py)."""
        domain = self._domain(domain_id)
        config = self.store.data["federation"].get(domain["id"]) or {}
        entry = [time.time(), domain["authenticationType"], config.get("displayName"),
                 config.get("passiveSignInUri"), config.get("preferredAuthenticationProtocol"),
                 config.get("metadataExchangeUri"), config.get("activeSignInUri")]
        self.store.data["realm"].setdefault(domain["id"], []).append(entry)

    def patch_domain(self, request: Request, caller: Caller, domain: dict[str, Any]) -> Response:
        body = self._json_object(request)
        for key in body:
            if key in DOMAIN_READ_ONLY:
                # best reading
                raise bad_request(f"Property '{key}' is read-only and cannot be set.")
            if key not in DOMAIN_WRITABLE and key not in ("@odata.type",
                                                          "federationConfiguration"):
                raise self._unknown_property(key, "domain")
        if "authenticationType" in body:
            self.require_write(caller, perm.SCOPES_AUTH_TYPE_WRITE, Write.DOMAIN_AUTHENTICATION)
        if set(body) - {"authenticationType", "@odata.type"}:
            self.require_write(caller, perm.SCOPES_DOMAIN_WRITE, Write.DOMAIN_UPDATE)
        if "federationConfiguration" in body:
            # documented symptom (admin-pain-points API-01, graph-explorer-v4 #4003, 2026):
            # PATCHing a domain with an inline federationConfiguration array returned HTTP 500;
            # nothing changes. Code and message best reading.
            raise ErrorResponse(500, "Service_InternalServerError",
                             "Encountered an internal server error.")
        if not domain["isVerified"]:
            # The rule is documented (PATCH domain page,
            # https://learn.microsoft.com/graph/api/resources/domain, "Only verified domains can be
            # updated"); that Graph answers with that sentence, 400, is best reading.
            raise bad_request("Only verified domains can be updated.")
        changed = False
        if "authenticationType" in body:
            changed |= self._set_auth_type(domain, body["authenticationType"])
        if "isDefault" in body:
            changed |= self._set_default(domain, body["isDefault"])
        for key in ("passwordValidityPeriodInDays", "passwordNotificationWindowInDays"):
            if key in body:
                if not isinstance(body[key], int) or isinstance(body[key], bool):
                    raise self._invalid_value(key, "Domain")
                domain[key] = body[key]
                changed = True
        if "supportedServices" in body:
            wanted_services = body["supportedServices"]
            if not isinstance(wanted_services, list) or not all(
                    isinstance(v, str) and v in ALL_SERVICES for v in wanted_services):
                raise self._invalid_value("supportedServices", "Domain")
            touched = set(wanted_services) ^ set(domain["supportedServices"])
            if touched - API_SERVICES:
                # documented rule (https://learn.microsoft.com/graph/api/resources/domain): only
                # Email, OfficeCommunicationsOnline and Yammer
                # can be added or removed via the API; message best reading.
                raise bad_request("Only Email, OfficeCommunicationsOnline and Yammer can be added "
                                  "to or removed from supportedServices.")
            domain["supportedServices"] = wanted_services
            changed = True
        if changed:
            self.store.save()
        return Response(204)

    def _set_auth_type(self, domain: dict[str, Any], value: Any) -> bool:
        wanted = str(value).capitalize() if isinstance(value, str) else None
        if wanted not in ("Managed", "Federated"):
            raise self._invalid_value("authenticationType", "Domain")
        current = self.effective_auth(domain)
        if wanted == "Federated" and current == "Managed":
            # documented
            # (https://learn.microsoft.com/graph/api/domain-post-federationconfiguration), for any
            # domain, a subdomain included.
            raise bad_request(MANAGED_TO_FEDERATED)
        if self.root_of(domain) is not None and wanted != current:
            # best reading: subdomains inherit their root's setting until promoted (https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain).
            raise bad_request("The authentication type of a subdomain is inherited from its root "
                              "domain. Promote the subdomain to a root domain to change it.")
        if wanted == current:
            return False
        if wanted == "Federated":
            raise bad_request(MANAGED_TO_FEDERATED)
        stored = self.store.data["federation"].get(domain["id"]) or {}
        if stored.get("_halfFederated") and self.half_federated_stuck():
            # The fault SPEC's stuck-half-federated (faults.py): that this PATCH clears the
            # half-federated state is UNCONFIRMED
            # (https://learn.microsoft.com/graph/api/domain-post-federationconfiguration, contrib
            # #1389: the domain "could not
            # be managed via Graph"). Status, code and message best reading, as for the create.
            raise ErrorResponse(500, "Service_InternalServerError",
                             "Encountered an internal server error.")
        # PATCH to Managed removes the configuration
        # (https://learn.microsoft.com/graph/api/domain-post-federationconfiguration, azure-docs
        # #107476).
        self.store.data["federation"].pop(domain["id"], None)
        domain["authenticationType"] = "Managed"
        self._record_realm(domain["id"])
        return True

    def _set_default(self, domain: dict[str, Any], value: Any) -> bool:
        if not isinstance(value, bool):
            raise self._invalid_value("isDefault", "Domain")
        if value == domain["isDefault"]:
            return False
        if not value:
            # The rule is documented (https://learn.microsoft.com/graph/api/resources/domain:
            # exactly one default domain); message best reading.
            raise bad_request("The default domain cannot be unset. Set another domain as the "
                              "default instead.")
        if self.effective_auth(domain) == "Federated":
            # The rule is documented
            # (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-saml-idp:
            # "You also can't set a federated domain as the
            # default domain"); the text is a proposed, unmerged doc sentence (PR #20766): best
            # reading, as are status and code.
            raise bad_request("The domain authentication type must be Managed to be set as the "
                              "default.")
        for other in self.store.data["domains"]:
            other["isDefault"] = other is domain
        return True

    def promote(self, caller: Caller, domain: dict[str, Any]) -> Response:
        self.require(caller, perm.SCOPES_DOMAIN_WRITE, perm.ROLES_PROMOTE)
        parent = self.parent_of(domain)
        if parent is not None and not parent["isVerified"]:
            # documented,
            # https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain: the
            # subdomain's PARENT is unverified -> 400.
            raise bad_request(UNVERIFIED_PROMOTE)
        if not domain["isVerified"]:
            # best reading: the same text when the subdomain itself is unverified (promote is
            # documented for verified subdomains only).
            raise bad_request(UNVERIFIED_PROMOTE)
        root = self.root_of(domain)
        if root is None:
            raise bad_request("The domain is already a root domain.")  # best reading
        suffix = "@" + domain["id"].lower()
        has_users = any(u["userPrincipalName"].lower().endswith(suffix)
                        for u in self.store.data["users"])
        if self.effective_auth(domain) == "Federated" and has_users:
            # documented, https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain
            raise bad_request("Promoting a subdomain with user references isn't allowed. Please "
                              "migrate the users to the current root domain before promotion of "
                              "the subdomain.")
        # Promotion leaves the subdomain Managed: reported by users
        # (https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain,
        # entra-docs #281,
        # UNCONFIRMED by Microsoft; admin-pain-points MD-03 "successful promotion flips the
        # domain to managed"). Microsoft's subdomain guide then PATCHes it to Managed, which is
        # harmless here (already Managed: 204, no change).
        domain["isRoot"] = True
        domain["authenticationType"] = "Managed"
        self._record_realm(domain["id"])
        self.store.save()
        return Response(200, {"@odata.context": self.context("Edm.Boolean"), "value": True})

    # ---------------------------------------------------------------------- federation config

    def _config_of(self, domain: dict[str, Any]) -> dict[str, Any] | None:
        config = self.store.data["federation"].get(domain["id"])
        if not config or config.get("_halfFederated"):
            # The half-federated state of
            # https://learn.microsoft.com/graph/api/domain-post-federationconfiguration has no
            # readable configuration.
            return None
        return dict(config)

    def _config_view(self, domain: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        return {"@odata.type": FEDERATION_TYPE,
                **{k: v for k, v in config.items() if not k.startswith("_")}}

    def list_federation(self, caller: Caller, domain: dict[str, Any]) -> Response:
        self.require(caller, perm.SCOPES_FEDERATION_READ, perm.ROLES_FEDERATION_READ)
        config = self._config_of(domain)
        if config is None:
            # https://learn.microsoft.com/graph/api/domain-list-federationconfiguration: 404 when
            # there is none
            raise not_found("federationConfiguration")
        return Response(200, {
            "@odata.context": self.context(f"domains('{domain['id']}')/federationConfiguration"),
            "value": [self._config_view(domain, config)]})

    def federation_item(self, request: Request, caller: Caller, domain: dict[str, Any],
                        config_id: str) -> Response:
        if request.method == "GET":
            self.require(caller, perm.SCOPES_FEDERATION_READ, perm.ROLES_FEDERATION_READ)
        else:
            self.require_write(caller, perm.SCOPES_FEDERATION_WRITE,
                               Write.FEDERATION_DELETE if request.method == "DELETE"
                               else Write.FEDERATION_UPDATE)
        config = self._config_of(domain)
        if config is None or config["id"].lower() != config_id.lower():
            raise not_found(config_id)
        stored = self.store.data["federation"][domain["id"]]
        if request.method == "DELETE":
            # Deleting the configuration turns the domain back to Managed: a proposed, unpublished
            # doc note (microsoft-graph-docs PR #21881;
            # https://learn.microsoft.com/graph/api/domain-post-federationconfiguration calls this
            # half UNCONFIRMED) and
            # admin-pain-points API-01 ("deleting it converts back"). Best reading.
            del self.store.data["federation"][domain["id"]]
            domain["authenticationType"] = "Managed"
            self._record_realm(domain["id"])
            self.store.save()
            return Response(204)
        context = self.context(f"domains('{domain['id']}')/federationConfiguration/$entity")
        if request.method == "PATCH":
            body = self._json_object(request)
            changes = self._validate_federation(body, domain, creating=False)
            stored.update(changes)
            self._record_realm(domain["id"])
            self.store.save()
            return Response(200, {"@odata.context": context,
                                  **self._config_view(domain, stored)})
        return Response(200, {"@odata.context": context, **self._config_view(domain, config)})

    def create_federation(self, request: Request, caller: Caller,
                          domain: dict[str, Any]) -> Response:
        self.require_write(caller, perm.SCOPES_FEDERATION_WRITE, Write.FEDERATION_CREATE)
        body = self._json_object(request)
        if not domain["isVerified"]:
            # best reading
            # (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-saml-idp:
            # "Only custom, verified domains"); the text follows PATCH's.
            raise bad_request("Only verified domains can be federated.")
        if domain["isInitial"] or domain["id"].lower().endswith(".onmicrosoft.com"):
            # The rule is documented
            # (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-saml-idp,
            # SAML IdP guide: Microsoft's domains, which end
            # with onmicrosoft.com, cannot be federated); answering with the guide's own
            # sentence, 400, is best reading.
            raise bad_request("You can't federate the default domain that is provided by "
                              "Microsoft. The default domain from Microsoft ends with "
                              "onmicrosoft.com.")
        if domain["isDefault"]:
            # best reading: the exact Graph error is UNCONFIRMED
            # (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-saml-idp);
            # Okta reports
            # "Federating to the 'Default' domain is not allowed".
            raise bad_request("Federating the default domain is not allowed. Set another domain "
                              "as the default first.")
        if self.root_of(domain) is not None:
            # best reading,
            # https://learn.microsoft.com/entra/identity/users/domains-verify-custom-subdomain: a
            # subdomain must be promoted first.
            raise bad_request("A subdomain inherits the authentication of its root domain. "
                              "Promote the subdomain to a root domain before federating it.")
        if domain["id"] in self.store.data["federation"]:
            # documented message (admin-pain-points API-05, windowsserverdocs PR #8021: "Domain
            # already has Federation Configuration set."); a domain has at most one (https://learn.microsoft.com/graph/api/resources/internaldomainfederation).
            # Status and code best reading. Also after the half-federated failure (https://learn.microsoft.com/graph/api/domain-post-federationconfiguration).
            raise ErrorResponse(409, "Request_MultipleObjectsWithSameKeyValue",
                             ALREADY_CONFIGURED)
        values = self._validate_federation(body, domain, creating=True)
        if not values.get("signingCertificate") and not values.get("nextSigningCertificate"):
            # documented failure,
            # https://learn.microsoft.com/graph/api/domain-post-federationconfiguration (contrib
            # #1389): 500, yet the domain turns Federated
            # with no readable configuration. Code and message best reading.
            self.store.data["federation"][domain["id"]] = {"_halfFederated": True,
                                                           "id": str(uuid.uuid4())}
            domain["authenticationType"] = "Federated"
            self._record_realm(domain["id"])
            self.store.save()
            raise ErrorResponse(500, "Service_InternalServerError",
                             "Encountered an internal server error.")
        config: dict[str, Any] = {key: None for key in FEDERATION_STRINGS + tuple(FEDERATION_ENUMS)}
        config["isSignedAuthenticationRequestRequired"] = False
        config.update(values)
        config["id"] = str(uuid.uuid4())
        # Shape of the documented 201 example
        # (https://learn.microsoft.com/graph/api/domain-list-federationconfiguration): "Success"
        # capitalised and a
        # DateTimeOffset with 7 fractional digits, "2021-08-25T07:44:46.2616778Z".
        now_ns = time.time_ns()
        config["signingCertificateUpdateStatus"] = {
            "certificateUpdateResult": "Success",
            "lastRunDateTime": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now_ns // 10**9))
            + f".{now_ns % 10**9 // 100:07d}Z"}
        self.store.data["federation"][domain["id"]] = config
        domain["authenticationType"] = "Federated"
        self._record_realm(domain["id"])
        self.store.save()
        context = self.context(f"domains('{domain['id']}')/federationConfiguration/$entity")
        return Response(201, {"@odata.context": context, **self._config_view(domain, config)},
                        headers={"Location": f"{self.graph_url}/domains('{domain['id']}')"
                                             f"/federationConfiguration('{config['id']}')"})

    def _validate_federation(self, body: dict[str, Any], domain: dict[str, Any], *,
                             creating: bool) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, value in body.items():
            if key == "@odata.type":
                if value != FEDERATION_TYPE:
                    raise bad_request("Invalid value specified for property '@odata.type' of "
                                      "resource 'InternalDomainFederation'.")  # best reading
                continue
            if key in FEDERATION_READ_ONLY:
                continue  # best reading: read-only properties in a body are ignored
            if key not in FEDERATION_WRITABLE:
                raise self._unknown_property(key, "internalDomainFederation")
            if key in FEDERATION_ENUMS:
                if value is not None and value not in FEDERATION_ENUMS[key]:
                    # documented for promptLoginBehavior
                    # (https://learn.microsoft.com/graph/api/resources/internaldomainfederation);
                    # same form for the others.
                    raise self._invalid_value(key, "InternalDomainFederation")
            elif key == "isSignedAuthenticationRequestRequired":
                if not isinstance(value, bool):
                    raise self._invalid_value(key, "InternalDomainFederation")
            elif value is not None and not isinstance(value, str):
                raise self._invalid_value(key, "InternalDomainFederation")
            if key in ("signingCertificate", "nextSigningCertificate") and value:
                self._check_certificate(key, value)
            values[key] = value
        for required in ("issuerUri", "passiveSignInUri"):
            if (creating or required in values) and not values.get(required):
                # best reading
                raise bad_request(f"Required property '{required}' is missing or empty.")
        issuer = values.get("issuerUri")
        if issuer and not _ABSOLUTE_URI.match(issuer):
            raise self._invalid_value("issuerUri", "InternalDomainFederation")  # see _ABSOLUTE_URI
        if issuer:
            for other, config in self.store.data["federation"].items():
                if other != domain["id"] and str(config.get("issuerUri") or "").lower() == \
                        issuer.lower():
                    # documented status and code
                    # (https://learn.microsoft.com/graph/api/domain-post-federationconfiguration,
                    # "409
                    # Request_MultipleObjectsWithSameKeyValue"); the message and comparing
                    # without case are our best reading (ref: "message not captured").
                    raise ErrorResponse(409, "Request_MultipleObjectsWithSameKeyValue",
                                     "Another object with the same value for property issuerUri "
                                     "already exists.")
        return values

    def _check_certificate(self, key: str, value: str) -> None:
        """Base64 of DER, X509Certificate2-compatible
        (https://learn.microsoft.com/graph/api/resources/internaldomainfederation): PEM armour and
        anything that
        is not a certificate are refused (best reading: UNCONFIRMED whether Graph tolerates it)."""
        from cryptography import x509

        try:
            der = base64.b64decode(value, validate=True)
            x509.load_der_x509_certificate(der)
        except (ValueError, binascii.Error) as exc:
            raise self._invalid_value(key, "InternalDomainFederation") from exc

    @staticmethod
    def _invalid_value(key: str, resource: str) -> ErrorResponse:
        # documented form (https://learn.microsoft.com/graph/api/resources/internaldomainfederation,
        # promptLoginBehavior); status best reading.
        return bad_request(f"Invalid value specified for property '{key}' of resource "
                           f"'{resource}'.")

    @staticmethod
    def _unknown_property(key: str, type_name: str) -> ErrorResponse:
        # best reading: OData's text for a property the type does not define.
        return bad_request(f"Property '{key}' does not exist on type 'microsoft.graph."
                           f"{type_name}'. Make sure to only use property names that are "
                           "defined by the type.", "BadRequest")

    @staticmethod
    def _json_object(request: Request) -> dict[str, Any]:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request("Unable to read JSON request payload. Please ensure Content-Type "
                              "header is set and payload is of valid JSON format.",
                              "BadRequest") from exc  # best reading
        if not isinstance(body, dict):
            raise bad_request("Unable to read JSON request payload. Please ensure Content-Type "
                              "header is set and payload is of valid JSON format.", "BadRequest")
        return body

    # ------------------------------------------------------------------------ users, me, org

    def _select(self, item: dict[str, Any], request: Request, allowed: frozenset[str],
                type_name: str, default: Iterable[str] | None = None) -> dict[str, Any]:
        """Apply ``$select`` (unknown names refused like Graph); else the default properties."""
        raw = request.query.get("$select")
        if raw:
            names = [n.strip() for n in raw.split(",") if n.strip()]
            lookup = {a.lower(): a for a in allowed}
            chosen = []
            for name in names:
                if name.lower() not in lookup:
                    # best reading: OData's text for an unknown property
                    raise bad_request(f"Could not find a property named '{name}' on type "
                                      f"'microsoft.graph.{type_name}'.")
                chosen.append(lookup[name.lower()])
            return {k: item.get(k) for k in chosen}
        keys = tuple(default) if default is not None else tuple(item)
        return {k: item.get(k) for k in keys if not k.startswith("_")}

    def _user_view(self, user: dict[str, Any], request: Request) -> dict[str, Any]:
        # Graph returns only a default set unless $select asks (onPremisesImmutableId is not in
        # it), so a client that forgets $select sees no ImmutableIDs, as against Microsoft.
        return self._select(user, request, USER_PROPERTIES, "user", USER_DEFAULT_PROPERTIES)

    def _select_fragment(self, request: Request) -> str:
        raw = request.query.get("$select")
        return f"({raw})" if raw else ""

    def me(self, request: Request, caller: Caller, lowered: list[str]) -> Response:
        self._allow(request.method, "GET")
        if not lowered:
            self.require(caller, perm.SCOPES_ME)
            return Response(200, {"@odata.context": self.context(
                f"users{self._select_fragment(request)}/$entity"),
                **self._user_view(caller.user, request)})
        if lowered[0] in ("transitivememberof", "memberof") and len(lowered) <= 2:
            self.require(caller, perm.SCOPES_MEMBER_OF)
            cast = lowered[1] if len(lowered) == 2 else None
            if cast not in (None, "microsoft.graph.directoryrole"):
                raise bad_request(f"Resource not found for the segment '{cast}'.",
                                  "BadRequest")  # best reading
            advanced = self._advanced(request)
            if cast and not advanced:
                # best reading: OData cast needs the advanced-query parameters (https://learn.microsoft.com/graph/api/user-list-transitivememberof).
                raise bad_request("The requested operation requires the 'ConsistencyLevel' "
                                  "header set to 'eventual' and '$count=true'.",
                                  "Request_UnsupportedQuery")
            roles_by_template = {r["roleTemplateId"]: r for r in self.store.data["directoryRoles"]}
            items = []
            for template in self.store.user_roles(caller.user["id"]):
                role = roles_by_template.get(template)
                if role:
                    items.append({"@odata.type": "#microsoft.graph.directoryRole",
                                  "id": role["id"], "deletedDateTime": None,
                                  "description": role["description"],
                                  "displayName": role["displayName"],
                                  "roleTemplateId": template})
            payload: dict[str, Any] = {"@odata.context": self.context(
                "directoryRoles" if cast else "directoryObjects")}
            if self._count_requested(request):
                payload["@odata.count"] = len(items)
            payload["value"] = items
            return Response(200, payload)
        raise bad_request(f"Resource not found for the segment '{lowered[-1]}'.",
                          "BadRequest")  # best reading

    def get_user(self, request: Request, caller: Caller, key: str) -> Response:
        self.require(caller, perm.SCOPES_USERS)
        user = self.store.user_by_id(key) or self.store.user_by_upn(key)
        if user is None:
            raise not_found(key)
        return Response(200, {"@odata.context": self.context(
            f"users{self._select_fragment(request)}/$entity"), **self._user_view(user, request)})

    @staticmethod
    def _advanced(request: Request) -> bool:
        """Advanced query capabilities: ``ConsistencyLevel: eventual`` plus ``$count=true``."""
        return ((request.header("consistencylevel") or "").lower() == "eventual"
                and request.query.get("$count", "").lower() == "true")

    @staticmethod
    def _count_requested(request: Request) -> bool:
        count = request.query.get("$count", "").lower()
        if count not in ("", "true", "false"):
            raise bad_request(f"Invalid value '{count}' for $count.")  # best reading
        # Documented: without ConsistencyLevel: eventual, Graph "silently ignores the $count
        # query parameter" on directory objects (https://learn.microsoft.com/graph/
        # aad-advanced-queries, "Error handling for advanced queries on directory objects").
        return count == "true" and \
            (request.header("consistencylevel") or "").lower() == "eventual"

    def list_users(self, request: Request, caller: Caller, *,
                   count_only: bool = False) -> Response:
        """``/users`` (a page) or ``/users/$count`` (the number, as text/plain), over the stored
        users and the bulk users (``sandbox.bulk``), by the advanced-query rules."""
        self.require(caller, perm.SCOPES_USERS)
        eventual = (request.header("consistencylevel") or "").lower() == "eventual"
        if count_only and not eventual:
            # documented (https://learn.microsoft.com/graph/aad-advanced-queries, "Error
            # handling for advanced queries on directory objects")
            raise bad_request("$count is not currently supported.", "Request_BadRequest")
        counted = not count_only and self._count_requested(request)
        clauses = parse_filter(request.query.get("$filter", ""))
        check_user_filter(clauses, advanced=eventual and (count_only or counted),
                          immutable_null=self.immutable_null)

        def test(user: dict[str, Any]) -> bool:
            return matches(user, clauses, USER_PROPERTIES)

        stored = [u for u in self.store.data["users"] if test(u)]
        bulk = self.store.bulk
        bulk_total, bulk_indices = bulk.filtered(clauses, test)
        total = len(stored) + bulk_total
        if count_only:
            return Response(200, body=str(total).encode("ascii"),
                            content_type="text/plain; charset=utf-8")
        top = self._top(request)
        offset = self._skiptoken(request)
        page = stored[offset:offset + top]
        if len(page) < top and bulk_total:
            page += bulk.users(bulk_indices, max(0, offset - len(stored)), top - len(page))
        payload: dict[str, Any] = {"@odata.context": self.context(
            f"users{self._select_fragment(request)}")}
        if counted:
            payload["@odata.count"] = total
        if offset + top < total:
            payload["@odata.nextLink"] = self._next_link(request, offset + top)
        payload["value"] = [self._user_view(u, request) for u in page]
        return Response(200, payload)

    @staticmethod
    def _top(request: Request) -> int:
        raw = request.query.get("$top")
        if raw is None:
            return DEFAULT_PAGE
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
            # best reading (Graph's text for an out-of-range page size)
            raise bad_request(f"Invalid page size specified: '{raw}'. Must be between 1 and "
                              f"{MAX_PAGE} inclusive.")
        return int(raw)

    @staticmethod
    def _skiptoken(request: Request) -> int:
        raw = request.query.get("$skiptoken")
        if raw is None:
            return 0
        try:
            decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            return int(decoded["offset"])
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise bad_request("Invalid $skiptoken.", "Request_BadRequest") from exc  # best reading

    def _next_link(self, request: Request, offset: int) -> str:
        token = base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()
        params = [(k, v) for k, v in request.query.items() if k != "$skiptoken"]
        params.append(("$skiptoken", token.rstrip("=")))
        path = request.path.removeprefix("/v1.0")
        return f"{self.graph_url}{path}?{urlencode(params, safe='$,()@')}"

    def organization(self, request: Request, caller: Caller) -> Response:
        self.require(caller, perm.SCOPES_ORGANIZATION)
        org = dict(self.store.data["organization"])
        org["verifiedDomains"] = [
            {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": d["isDefault"],
             "isInitial": d["isInitial"], "name": d["id"], "type": self.effective_auth(d)}
            for d in self.store.data["domains"] if d["isVerified"]]
        return Response(200, {"@odata.context": self.context("organization"), "value": [org]})

    def role_definitions(self, request: Request, caller: Caller) -> Response:
        self.require(caller, perm.SCOPES_ROLE_READ)
        items = [{"id": r["roleTemplateId"], "templateId": r["roleTemplateId"],
                  "displayName": r["displayName"], "description": r["description"],
                  "isBuiltIn": True, "isEnabled": True}
                 for r in self.store.data["directoryRoles"]]
        return Response(200, {"@odata.context": self.context(
            "roleManagement/directory/roleDefinitions"), "value": items})

    def role_assignments(self, request: Request, caller: Caller) -> Response:
        self.require(caller, perm.SCOPES_ROLE_READ)
        expand = request.query.get("$expand", "")
        if expand and expand.lower() != "principal":
            # best reading: OData's text for an unknown navigation property
            raise bad_request(f"Could not find a property named '{expand}' on type "
                              "'microsoft.graph.unifiedRoleAssignment'.")
        allowed = frozenset({"id", "principalId", "roleDefinitionId", "directoryScopeId"})
        clauses = parse_filter(request.query.get("$filter", ""))
        for op, prop, _value in clauses:
            if op != "eq" or prop not in allowed:
                # best reading
                raise bad_request("Unsupported filter. Filter on principalId, roleDefinitionId "
                                  "or directoryScopeId with 'eq'.", "Request_UnsupportedQuery")
        items = []
        for assignment in self.store.data["roleAssignments"]:
            if not matches(assignment, clauses, allowed):
                continue
            item = {"id": assignment["id"], "principalId": assignment["principalId"],
                    "roleDefinitionId": assignment["roleDefinitionId"],
                    "directoryScopeId": assignment["directoryScopeId"]}
            if expand:
                principal = self.store.user_by_id(assignment["principalId"])
                item["principal"] = ({"@odata.type": "#microsoft.graph.user",
                                      **{k: principal.get(k) for k in USER_DEFAULT_PROPERTIES}}
                                     if principal else None)
            items.append(item)
        fragment = "roleManagement/directory/roleAssignments" + ("(principal())" if expand else "")
        return Response(200, {"@odata.context": self.context(fragment), "value": items})

    # ------------------------------------------------------------------------------- $batch

    def batch(self, request: Request) -> Response:
        """JSON batching (https://learn.microsoft.com/graph/json-batching): at most 20 items,
        per-item status, ``dependsOn`` with 424,
        per-item faults (``item:`` in the fault SPEC). Responses come back in REVERSE order of
        the requests (Graph allows any order), so clients must match them by ``id``."""
        try:
            body = request.json()
            items = body["requests"]
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise TypeError
            ids = [str(i["id"]) for i in items]
            for item in items:
                str(item["method"]), str(item["url"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            # best reading
            raise bad_request("Invalid batch payload format.", "BadRequest") from exc
        if len(items) > MAX_BATCH:
            # documented limit (https://learn.microsoft.com/graph/json-batching); message best
            # reading
            raise bad_request(f"The number of batch requests ({len(items)}) exceeds the maximum "
                              f"of {MAX_BATCH}.", "BadRequest")
        if len({i.lower() for i in ids}) != len(ids):
            # documented: duplicate ids fail the whole batch
            # (https://learn.microsoft.com/graph/json-batching); message best reading
            raise bad_request("Batch request contains duplicate request ids.", "BadRequest")
        known = {i.lower() for i in ids}
        for item in items:
            for dep in item.get("dependsOn") or []:
                if str(dep).lower() not in known:
                    raise bad_request(f"Request id '{item['id']}' depends on an unknown request "
                                      f"id '{dep}'.", "BadRequest")  # best reading
        statuses: dict[str, int] = {}
        responses = []
        for item in items:
            item_id = str(item["id"])
            result = self._batch_item(request, item, statuses)
            statuses[item_id.lower()] = result.status
            headers = {k: v for k, v in result.headers.items()
                       if k not in ("request-id", "client-request-id")}
            entry: dict[str, Any] = {"id": item_id, "status": result.status,
                                     "headers": {"Content-Type": result.content_type,
                                                 **headers}}
            if result.payload is not None:
                entry["body"] = result.payload
            elif result.body:
                # best reading: a text answer (/users/$count) as a JSON string.
                entry["body"] = result.body.decode("utf-8", "replace")
            responses.append(entry)
        responses.reverse()
        return Response(200, {"responses": responses})

    def _batch_item(self, outer: Request, item: dict[str, Any],
                    statuses: dict[str, int]) -> Response:
        url = str(item["url"])
        sub_request = Request(method=str(item["method"]).upper(), path="", query={},
                              headers={}, raw_path=url)
        sub_request.headers = {str(k).lower(): str(v) for k, v in
                               (item.get("headers") or {}).items()}
        failed = [d for d in item.get("dependsOn") or [] if statuses.get(str(d).lower(), 0) >= 400]
        if failed:
            # documented status (https://learn.microsoft.com/graph/json-batching); code and message
            # best reading
            return graph_error(sub_request, 424, "FailedDependency",
                               "The request failed because a request it depends on failed.")
        if urlsplit(url).scheme or not url:
            return graph_error(sub_request, 400, "BadRequest",  # best reading
                               "The batch request URL must be relative to the version root.")
        if "body" in item and "content-type" not in sub_request.headers:
            # best reading (the text Graph gives for this case)
            return graph_error(sub_request, 400, "BadRequest",
                               f"Write request id : {item['id']} does not contain Content-Type "
                               "header or body.")
        fault = self.item_fault(urlsplit("/" + url.lstrip("/")).path)
        if fault is not None and fault.status is not None:
            return self.fault_response(sub_request, fault)
        parts = urlsplit("/" + url.lstrip("/"))
        sub_request.path = "/v1.0" + unquote(parts.path)
        sub_request.query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if "authorization" in outer.headers:
            sub_request.headers["authorization"] = outer.headers["authorization"]
        body = item.get("body")
        if body is not None:
            sub_request.body = (json.dumps(body).encode() if not isinstance(body, str)
                                else base64.b64decode(body))
        return self.handle(sub_request, in_batch=True)

    @staticmethod
    def fault_response(request: Request, fault: Fault) -> Response:
        """The answer to an injected status fault (see faults.py)."""
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        status = fault.status or 503
        code, message = {
            429: ("TooManyRequests", THROTTLED),  # documented, https://learn.microsoft.com/graph/throttling
            500: ("UnknownError", "An internal server error occurred."),  # best reading
            502: ("BadGateway", "Bad gateway."),  # best reading
            503: ("serviceNotAvailable", "The service is temporarily unavailable. "
                                         "Please retry later."),  # best reading
            504: ("GatewayTimeout", "Gateway timeout."),  # best reading
        }[status]
        return graph_error(request, status, code, message, headers=headers)


_FILTER_FUNC = re.compile(r"^(endswith|startswith)\(\s*(\w+)\s*,\s*'((?:[^']|'')*)'\s*\)$",
                          re.IGNORECASE)
_FILTER_CMP = re.compile(r"^(\w+)\s+(eq|ne)\s+('(?:[^']|'')*'|true|false|null)$", re.IGNORECASE)


def parse_filter(text: str) -> list[tuple[str, str, Any]]:
    """A small OData ``$filter``: ``endswith(p,'v')``, ``startswith(p,'v')``, ``p eq|ne 'v'``
    (or true/false/null), joined with ``and``. Anything else is 400 Request_UnsupportedQuery."""
    clauses: list[tuple[str, str, Any]] = []
    if not text.strip():
        return clauses
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        part = part.strip()
        func = _FILTER_FUNC.match(part)
        if func:
            clauses.append((func.group(1).lower(), func.group(2),
                            func.group(3).replace("''", "'")))
            continue
        cmp = _FILTER_CMP.match(part)
        if cmp:
            literal = cmp.group(3)
            value: Any
            if literal.startswith("'"):
                value = literal[1:-1].replace("''", "'")
            else:
                value = {"true": True, "false": False, "null": None}[literal.lower()]
            clauses.append((cmp.group(2).lower(), cmp.group(1), value))
            continue
        # best reading
        raise bad_request(f"Invalid filter clause: {part}", "Request_UnsupportedQuery")
    return clauses


# Which user $filter clauses need the advanced query parameters (ConsistencyLevel: eventual and
# $count), from Microsoft's table "Support for filter by properties of Microsoft Entra ID
# (directory) objects" (https://learn.microsoft.com/graph/aad-advanced-queries): ne and endsWith
# always; eq on the properties below; null only where the table's "null values" column allows it.
# The table leaves that column empty for onPremisesImmutableId (and the user resource lists
# "eq, ne, NOT, ge, le, in" for it, no null); whether Graph answers "onPremisesImmutableId eq
# null" is unconfirmed. The sandbox answers it in advanced queries by default and refuses it
# with FEDERATOR_SANDBOX_IMMUTABLE_NULL=refuse; Federator falls back to a bounded listing when
# Graph refuses it.
_ADVANCED_EQ = frozenset({"onpremisesimmutableid", "mobilephone", "officelocation",
                          "preferredlanguage"})
_NULL_FILTERABLE = frozenset({"displayname", "givenname", "surname", "jobtitle", "mobilephone",
                              "officelocation", "preferredlanguage", "usertype",
                              "onpremisesimmutableid"})
_ENDSWITH = frozenset({"mail", "userprincipalname"})
_STARTSWITH = frozenset({"mail", "userprincipalname", "displayname", "givenname", "surname",
                         "mobilephone", "officelocation", "preferredlanguage"})


def check_user_filter(clauses: list[tuple[str, str, Any]], *, advanced: bool,
                      immutable_null: bool = True) -> None:
    """Refuse a user filter as Graph does: unsupported clauses always, advanced-only clauses
    without the advanced query parameters."""
    nullable = _NULL_FILTERABLE if immutable_null else _NULL_FILTERABLE - {
        "onpremisesimmutableid"}
    for op, prop, value in clauses:
        name = prop.lower()
        needs_advanced = op in ("ne", "endswith")
        supported = True
        if op == "endswith":
            supported = name in _ENDSWITH
        elif op == "startswith":
            supported = name in _STARTSWITH
        elif value is None:
            supported, needs_advanced = name in nullable, True
        elif op == "eq" and name in _ADVANCED_EQ:
            needs_advanced = True
        if not supported:
            # documented text (aad-advanced-queries, for an unindexed property)
            raise bad_request(f"Unsupported or invalid query filter clause specified for "
                              f"property '{prop}' of resource 'User'.",
                              "Request_UnsupportedQuery")
        if needs_advanced and not advanced:
            operator = {"endswith": "endsWith", "startswith": "startsWith"}.get(op, op)
            # documented text (aad-advanced-queries, "Error handling for advanced queries")
            raise bad_request(f"Operator '{operator}' is not supported because the required "
                              "parameters might be missing. Try adding $count=true query "
                              "parameter and ConsistencyLevel:eventual header. Refer to "
                              "https://aka.ms/graph-docs/advanced-queries for more information",
                              "Request_UnsupportedQuery")


def matches(item: dict[str, Any], clauses: list[tuple[str, str, Any]],
            allowed: frozenset[str]) -> bool:
    """Whether ``item`` satisfies every clause; property names and strings compare without case
    (as the directory does)."""
    lookup = {a.lower(): a for a in allowed}
    for op, prop, value in clauses:
        name = lookup.get(prop.lower())
        if name is None:
            # best reading
            raise bad_request(f"Could not find a property named '{prop}' on type "
                              "'microsoft.graph.directoryObject'.")
        actual = item.get(name)
        actual_cmp: Any
        value_cmp: Any
        if isinstance(actual, str) and isinstance(value, str):
            actual_cmp, value_cmp = actual.lower(), value.lower()
        else:
            actual_cmp, value_cmp = actual, value
        if op == "eq" and actual_cmp != value_cmp:
            return False
        if op == "ne" and actual_cmp == value_cmp:
            return False
        if op == "endswith" and not (isinstance(actual_cmp, str)
                                     and actual_cmp.endswith(str(value_cmp))):
            return False
        if op == "startswith" and not (isinstance(actual_cmp, str)
                                       and actual_cmp.startswith(str(value_cmp))):
            return False
    return True
