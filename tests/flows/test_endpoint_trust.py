"""Tokens go only to Microsoft: sign-in and Graph endpoints are a Microsoft cloud's hosts, or this
machine (the sandbox), and anything else is refused before a single request, from every face:
``signin --graph-url/--login-url``, ``settings.json`` and the window's tenant dialog."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cli.main as cli
from core.clouds import CHINA, US_GOV, US_GOV_DOD, check_endpoints, custom_cloud
from core.config import TenantConfig, load_tenant_config, save_tenant_config
from core.errors import InputError
from core.paths import resolve_paths

ATTACKER_GRAPH = "https://graph.attacker.example/v1.0"
ATTACKER_LOGIN = "https://login.attacker.example"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every host name this process tries to resolve (any HTTP library resolves first): a request
    to a host that was refused would show here."""
    seen: list[str] = []
    real = socket.getaddrinfo

    def recording(host: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(host))
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    yield seen


def _attacker_lookups(seen: list[str]) -> list[str]:
    return [h for h in seen if "attacker" in h]


def test_signin_refuses_a_fake_graph_and_login_before_any_request(
        capsys: pytest.CaptureFixture[str], lookups: list[str]) -> None:
    code, out, err = run(capsys, "signin", "--client-id", "demo", "--graph-url", ATTACKER_GRAPH,
                         "--login-url", ATTACKER_LOGIN, "--json")
    assert code == 2
    error = json.loads(out)["error"]
    assert error["code"] == "untrusted_endpoint"
    assert "graph.attacker.example" in err and "Nothing was sent" in err
    assert "Microsoft's clouds" in err
    assert _attacker_lookups(lookups) == []
    assert not load_tenant_config(resolve_paths()).configured  # nothing saved


@pytest.mark.parametrize(("graph", "login"), [
    # a Microsoft login paired with a fake Graph: the real token would go to the fake Graph
    (ATTACKER_GRAPH, "https://login.microsoftonline.com"),
    # look-alike hosts and user-info tricks
    ("https://graph.microsoft.com.attacker.example/v1.0", "https://login.microsoftonline.com"),
    ("https://graph.microsoft.com@attacker.example/v1.0", "https://login.microsoftonline.com"),
    ("https://graph.microsoft.com/v1.0", "https://login.microsoftonline.com@attacker.example"),
    # a real Microsoft login beside a loopback Graph: real tokens to a local process
    ("https://127.0.0.1:8443/v1.0", "https://login.microsoftonline.com"),
    # two clouds mixed
    ("https://graph.microsoft.com/v1.0", "https://login.chinacloudapi.cn"),
    # another port on a Microsoft host
    ("https://graph.microsoft.com:8443/v1.0", "https://login.microsoftonline.com"),
    # an unclosed IPv6 bracket
    ("https://[::1/v1.0", "https://[::1"),
])
def test_endpoints_that_are_neither_microsoft_nor_loopback_are_refused(
        graph: str, login: str, lookups: list[str]) -> None:
    with pytest.raises(InputError) as info:
        check_endpoints(graph, login)
    assert info.value.code in ("untrusted_endpoint", "bad_endpoint")
    assert "Traceback" not in info.value.message
    assert _attacker_lookups(lookups) == []


def test_microsoft_clouds_and_loopback_are_allowed() -> None:
    assert check_endpoints("https://graph.microsoft.us/v1.0",
                           "https://login.microsoftonline.us") is US_GOV
    assert check_endpoints("https://dod-graph.microsoft.us/v1.0",
                           "https://login.microsoftonline.us/") is US_GOV_DOD
    assert check_endpoints("https://microsoftgraph.chinacloudapi.cn/v1.0",
                           "https://login.partner.microsoftonline.cn") is CHINA
    for host in ("127.0.0.1:9443", "127.8.9.10", "[::1]:9443", "localhost:9443"):
        assert check_endpoints(f"https://{host}/v1.0", f"https://{host}") is None
    # a national cloud given by hand asks for that cloud's Graph in its scopes
    cloud = custom_cloud("https://graph.microsoft.us/v1.0", "https://login.microsoftonline.us")
    assert cloud.scope("Domain.Read.All") == "https://graph.microsoft.us/Domain.Read.All"


def test_a_settings_file_pointing_elsewhere_is_refused_by_every_command(
        capsys: pytest.CaptureFixture[str], lookups: list[str]) -> None:
    paths = resolve_paths()
    save_tenant_config(paths, TenantConfig(client_id="demo", graph_url=ATTACKER_GRAPH,
                                           login_url=ATTACKER_LOGIN))
    for command in (["domains"], ["whoami"], ["status", "--domain", "contoso.com"]):
        code, _, err = run(capsys, *command)
        assert code == 2, (command, err)
        assert "graph.attacker.example" in err and "Nothing was sent" in err
    assert _attacker_lookups(lookups) == []


def test_signin_cloud_clears_custom_endpoints_and_ca_bundle(
        capsys: pytest.CaptureFixture[str]) -> None:
    paths = resolve_paths()
    save_tenant_config(paths, TenantConfig(client_id="demo", graph_url="https://127.0.0.1:1/v1.0",
                                           login_url="https://127.0.0.1:1", ca_bundle="/x.pem"))
    # signin fails (nobody answers on the chosen cloud in a test), but the choice is the point:
    from core.config import choose_cloud

    config = load_tenant_config(paths)
    choose_cloud(config, "usgov")
    assert (config.cloud, config.graph_url, config.login_url, config.ca_bundle) == \
        ("usgov", None, None, None)


def test_the_tenant_dialog_choosing_a_cloud_clears_custom_endpoints(qtbot: Any,
                                                                    federator_home: Path) -> None:
    from gui.dialogs import TenantSetupDialog

    paths = resolve_paths()
    save_tenant_config(paths, TenantConfig(client_id="demo", graph_url="https://127.0.0.1:1/v1.0",
                                           login_url="https://127.0.0.1:1", ca_bundle="/x.pem"))
    dialog = TenantSetupDialog(paths)
    qtbot.addWidget(dialog)
    dialog.cloud.setCurrentIndex(dialog.cloud.findData("china"))
    dialog.ok.click()
    config = load_tenant_config(paths)
    assert config.cloud == "china"
    assert (config.graph_url, config.login_url, config.ca_bundle) == (None, None, None)
    assert not config.custom_endpoints


def test_a_ca_bundle_is_only_for_loopback_endpoints(capsys: pytest.CaptureFixture[str],
                                                    lookups: list[str], tmp_path: Path) -> None:
    """A private CA trusted for Microsoft's hosts would let its owner impersonate Graph."""
    bundle = tmp_path / "evil-ca.pem"
    bundle.write_text("not used")
    code, _, err = run(capsys, "signin", "--client-id", "demo",
                       "--graph-url", "https://graph.microsoft.com/v1.0",
                       "--login-url", "https://login.microsoftonline.com",
                       "--ca-bundle", str(bundle))
    assert code == 2 and "only for endpoints on this machine" in err
    save_tenant_config(resolve_paths(), TenantConfig(
        client_id="demo", graph_url="https://graph.microsoft.com/v1.0",
        login_url="https://login.microsoftonline.com", ca_bundle=str(bundle)))
    code, _, err = run(capsys, "domains")
    assert code == 2 and "only for endpoints on this machine" in err
    assert not [h for h in lookups if "microsoft" in h]
