"""Microsoft's national clouds: which Graph and login hosts a tenant lives behind.

Graph's federation APIs exist in the global cloud, US Government (L4 "GCC High" and L5 "DoD") and
China (operated by 21Vianet) (https://learn.microsoft.com/graph/deployments). A tenant lives in
exactly one of them, and tokens from one cloud's login host are only valid for that cloud's Graph
host, so both URLs travel together.
Scopes are written in full (``https://graph.microsoft.us/Domain.Read.All``) so that each cloud's
login host issues a token for its own Graph.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import InputError


@dataclass(frozen=True)
class Cloud:
    """One cloud's endpoints. ``graph_url`` is the API root including ``/v1.0``.

    ``api_root`` overrides it for custom endpoints (a sandbox served by ``federator sandbox
    serve``); ``graph_resource`` then stays the global Graph, which scopes name.
    """

    name: str
    title: str
    graph_resource: str
    login_url: str
    api_root: str | None = None

    @property
    def graph_url(self) -> str:
        return self.api_root or f"{self.graph_resource}/v1.0"

    def authority(self, tenant: str) -> str:
        """The msal authority for ``tenant`` (tenant id, verified domain or ``organizations``)."""
        return f"{self.login_url}/{tenant}"

    def scope(self, permission: str) -> str:
        """A fully qualified delegated scope for this cloud's Graph."""
        return f"{self.graph_resource}/{permission}"


GLOBAL = Cloud("global", "Microsoft global cloud",
               "https://graph.microsoft.com", "https://login.microsoftonline.com")
US_GOV = Cloud("usgov", "US Government L4 (GCC High)",
               "https://graph.microsoft.us", "https://login.microsoftonline.us")
US_GOV_DOD = Cloud("usgovdod", "US Government L5 (DoD)",
                   "https://dod-graph.microsoft.us", "https://login.microsoftonline.us")
CHINA = Cloud("china", "Microsoft Azure operated by 21Vianet (China)",
              "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn")

CLOUDS: dict[str, Cloud] = {c.name: c for c in (GLOBAL, US_GOV, US_GOV_DOD, CHINA)}


def get_cloud(name: str | None) -> Cloud:
    """The cloud called ``name`` (default: global); unknown names are an input error."""
    if not name:
        return GLOBAL
    cloud = CLOUDS.get(name.strip().lower())
    if cloud is None:
        raise InputError(f"unknown cloud {name!r}", code="unknown_cloud",
                         remedy=f"Use one of: {', '.join(CLOUDS)}.")
    return cloud


# Sign-in hosts each cloud also answers on, beyond ``login_url``: Microsoft Entra's page on
# national clouds names login.partner.microsoftonline.cn for 21Vianet
# (https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud), Graph's
# page names login.chinacloudapi.cn (https://learn.microsoft.com/graph/deployments).
_EXTRA_LOGIN_HOSTS: dict[str, tuple[str, ...]] = {"china": ("login.partner.microsoftonline.cn",)}
LOOPBACK_NAMES = frozenset({"localhost"})


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or ``localhost``: this machine (the sandbox and tests)."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _clouds_with(kind: str, host: str) -> list[Cloud]:
    """The clouds whose ``kind`` ("graph" or "login") host is ``host``."""
    found = []
    for cloud in CLOUDS.values():
        if kind == "graph":
            hosts: tuple[str, ...] = (_host(cloud.graph_resource),)
        else:
            hosts = (_host(cloud.login_url), *_EXTRA_LOGIN_HOSTS.get(cloud.name, ()))
        if host in hosts:
            found.append(cloud)
    return found


def _endpoint_error(url: str, what: str, why: str) -> InputError:
    return InputError(
        f"Federator will not send sign-in or Graph requests to {url!r} ({what}): {why}. "
        "Nothing was sent.", code="untrusted_endpoint",
        remedy="Sign-in and Graph go only to Microsoft's clouds (choose one with --cloud "
               "CLOUD, where CLOUD is global, usgov, usgovdod or china) or to this machine "
               "(127.0.0.1, ::1, localhost: the addresses 'federator sandbox serve' prints).")


def check_endpoints(graph_url: str, login_url: str) -> Cloud | None:
    """THE decision on custom endpoints, taken before any request (tokens go only to Microsoft).

    Both must be https, without user info, and either both on this machine (loopback: the
    sandbox and tests; returns None) or both one Microsoft cloud's hosts, as Microsoft lists them
    (https://learn.microsoft.com/graph/deployments): that cloud is returned. Anything else,
    including a Microsoft login host paired with a Graph elsewhere, raises InputError.
    """
    parts = {}
    for url, what in ((graph_url, "Graph"), (login_url, "sign-in")):
        text = str(url or "").strip()
        try:
            split = urlsplit(text)
            host = (split.hostname or "").lower()
            port = split.port
        except ValueError:
            raise _endpoint_error(text, what, "it is not a valid URL") from None
        if split.scheme.lower() != "https":
            raise InputError(f"{text!r} is not an https:// URL.", code="bad_endpoint",
                             remedy="Give the https:// addresses that 'federator sandbox serve' "
                                    "prints (graph_url and login_url).")
        if not host:
            raise _endpoint_error(text, what, "it names no host")
        if split.username is not None or split.password is not None or "@" in split.netloc:
            raise _endpoint_error(text, what, "it carries a user name or password")
        parts[what] = (text, host, port)
    hosts = {what: host for what, (_, host, _) in parts.items()}
    if all(is_loopback_host(h) for h in hosts.values()):
        return None
    for what, (text, host, port) in parts.items():
        if is_loopback_host(host):
            raise _endpoint_error(text, what, "a loopback address goes only with another "
                                  "loopback address, never with a Microsoft or other host")
        if port not in (None, 443):
            raise _endpoint_error(text, what, "Microsoft's endpoints use the standard https port")
    graph_clouds = _clouds_with("graph", hosts["Graph"])
    login_clouds = _clouds_with("login", hosts["sign-in"])
    if not graph_clouds:
        raise _endpoint_error(parts["Graph"][0], "Graph", "it is not a Microsoft Graph host")
    if not login_clouds:
        raise _endpoint_error(parts["sign-in"][0], "sign-in",
                              "it is not a Microsoft sign-in host")
    common = [c for c in graph_clouds if c in login_clouds]
    if not common:
        raise _endpoint_error(parts["Graph"][0], "Graph",
                              f"it belongs to another cloud than the sign-in host "
                              f"{hosts['sign-in']}")
    return common[0]


def check_ca_bundle(graph_url: str, login_url: str, ca_bundle: str | None) -> None:
    """A private CA bundle is for a sandbox on this machine only: trusting one for Microsoft's
    hosts would let whoever issued it impersonate Graph and receive the admin's tokens (a
    company's TLS-inspecting proxy is trusted through the environment, as for every cloud)."""
    if ca_bundle and check_endpoints(graph_url, login_url) is not None:
        raise InputError("A CA bundle (--ca-bundle) is only for endpoints on this machine (a "
                         "sandbox); Microsoft's endpoints are checked against the system's trust.",
                         code="untrusted_endpoint",
                         remedy="Leave out --ca-bundle; if a proxy inspects TLS, its CA belongs "
                                "in the system store or REQUESTS_CA_BUNDLE.")


def custom_cloud(graph_url: str, login_url: str) -> Cloud:
    """Endpoints that stand in for a cloud's (the sandbox, a test double, or a Microsoft cloud's
    own hosts given by hand); refused by :func:`check_endpoints` unless Microsoft's or loopback.
    """
    microsoft = check_endpoints(graph_url, login_url)
    resource = microsoft.graph_resource if microsoft is not None else GLOBAL.graph_resource
    return Cloud("custom", f"custom endpoints ({login_url})", resource,
                 login_url.rstrip("/"), api_root=graph_url.rstrip("/"))
