"""A browser sign-in whose token request cannot connect is a sign-in error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def test_a_browser_sign_in_whose_token_request_cannot_connect_is_a_sign_in_error(
        sandbox: Any, tmp_path: Path) -> None:
    import re
    import shutil
    import threading

    from core.auth import Authenticator, SignInError, graph_scopes
    from core.clouds import GLOBAL
    from core.graph.client import make_session
    from session import SANDBOX_CLIENT_ID

    ca = shutil.copy(sandbox.ca_bundle, tmp_path / "ca.pem")  # outlives the stopped sandbox
    auth = Authenticator(SANDBOX_CLIENT_ID, scopes=graph_scopes(GLOBAL),
                         oidc_authority=f"{sandbox.login_url}/{sandbox.tenant_id}/v2.0",
                         http_client=make_session(verify=str(ca), trust_env=False))
    browser = make_session(verify=str(ca), trust_env=False)

    def play_browser(auth_uri: str) -> None:
        def run() -> None:
            page = browser.get(auth_uri, timeout=10).text
            action = re.search(r'action="([^"]+)"', page)
            fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page))
            assert action is not None
            sandbox.stop()  # the login service goes away before the code is redeemed
            browser.post(action.group(1).replace("&amp;", "&"), data=fields, timeout=10)
        threading.Thread(target=run, daemon=True).start()

    with pytest.raises(SignInError) as info:
        auth.sign_in_interactive(login_hint="ops@contoso.com", auth_uri_callback=play_browser,
                                 timeout_s=20)
    assert info.value.code == "signin_unreachable"
    assert "could not be reached" in info.value.message
