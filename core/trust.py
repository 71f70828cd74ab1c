"""HTTPS trust from the operating system's certificate store, for every session to a real service.

Why it exists: requests and msal verify TLS against certifi's CA bundle, a copy of Mozilla's
list that knows nothing of the enterprise. Behind a TLS-inspecting proxy (whose CA the
organisation deploys to the Windows certificate store by Group Policy) sign-in, Graph and metadata
URLs all failed certificate verification. ``truststore`` verifies with the platform's own
verifier and store instead: CryptoAPI on Windows, Security.framework on macOS, OpenSSL's system
paths on Linux (https://truststore.readthedocs.io/). Python 3.10 or later.

Sessions that trust a given CA bundle only (the sandbox, custom endpoints with ``--ca-bundle``)
do not use it: they keep exactly their own CA. Proxies: requests reads the system proxy settings
(``HTTPS_PROXY``/``NO_PROXY``, and on Windows the Internet Settings proxy in the registry through
``urllib.request.getproxies``) whenever ``trust_env`` is on, which it is for real services.
"""

from __future__ import annotations

import ssl
from typing import Any

from requests.adapters import HTTPAdapter


def system_ssl_context() -> ssl.SSLContext:
    """A client context that verifies with the operating system's trust store."""
    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class SystemTrustAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections (direct or through a proxy) verify with the system store.

    requests may still hand urllib3 certifi's bundle (or ``REQUESTS_CA_BUNDLE``) as extra
    verify locations; truststore adds those to the system's roots, it does not replace them."""

    def __init__(self, **kwargs: Any) -> None:
        self._context = system_ssl_context()
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs["ssl_context"] = self._context
        return super().proxy_manager_for(proxy, **proxy_kwargs)
