"""Microsoft's national clouds: which Graph and login hosts a tenant lives behind.

Graph's federation APIs exist in the global cloud, US Government (L4 "GCC High" and L5 "DoD") and
China (operated by 21Vianet) (reference §1). A tenant lives in exactly one of them, and tokens from
one cloud's login host are only valid for that cloud's Graph host, so both URLs travel together.
Scopes are written in full (``https://graph.microsoft.us/Domain.Read.All``) so that each cloud's
login host issues a token for its own Graph.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def custom_cloud(graph_url: str, login_url: str) -> Cloud:
    """Endpoints that stand in for the global cloud (the sandbox, or a test double)."""
    for url in (graph_url, login_url):
        if not url.startswith("https://"):
            raise InputError(f"{url!r} is not an https:// URL.", code="bad_endpoint",
                             remedy="Give the https:// addresses that 'federator sandbox serve' "
                                    "prints (graph_url and login_url).")
    return Cloud("custom", f"custom endpoints ({login_url})", GLOBAL.graph_resource,
                 login_url.rstrip("/"), api_root=graph_url.rstrip("/"))
