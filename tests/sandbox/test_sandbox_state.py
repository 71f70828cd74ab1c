"""The sandbox's persisted tenant shared by several processes (issue 3 §3: "separate CLI runs see
the same tenant"): concurrent changes from two processes must both survive."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

from sandbox.login import Login
from sandbox.rules import Graph
from sandbox.state import TenantStore
from sandbox.wire import Request

ROUNDS = 100


def _graph(folder: Path) -> tuple[Graph, str]:
    store = TenantStore(folder)
    graph = Graph(store, graph_url="https://127.0.0.1:9/v1.0", expired_before_ns=lambda: 0,
                  item_fault=lambda path: None)
    token = Login(store, "https://127.0.0.1:9").issue_access_token(
        "breakglass@contoso.onmicrosoft.com", ["Domain.ReadWrite.All"])
    return graph, token


def _call(graph: Graph, token: str, method: str, path: str, body: Any = None) -> Any:
    request = Request(method=method, path=f"/v1.0{path}", query={},
                      headers={"authorization": f"Bearer {token}",
                               "content-type": "application/json"},
                      body=json.dumps(body).encode() if body is not None else b"")
    response = graph.handle(request)
    assert response.status in (200, 204), response.payload
    return response.payload


def _writer(folder: str, domain: str, start: Any, results: Any) -> None:
    """Child process: PATCH ``domain`` ROUNDS times, each time checking its own last write is
    still there (only this process writes that property of that domain)."""
    graph, token = _graph(Path(folder))
    start.wait(30)
    lost = 0
    for value in range(1, ROUNDS + 1):
        _call(graph, token, "PATCH", f"/domains/{domain}", {"passwordValidityPeriodInDays": value})
        seen = _call(graph, token, "GET", f"/domains/{domain}")["passwordValidityPeriodInDays"]
        lost += seen != value
    results.put((domain, lost))


def test_two_processes_writing_at_once_both_keep_their_changes(tmp_path: Path) -> None:
    # Before the lock, each process saved its whole in-memory tenant: one process's write
    # silently undid the other's ("last write wins").
    folder = tmp_path / "shared"
    TenantStore(folder)  # seed once, so both children start from the same file
    ctx = multiprocessing.get_context("spawn")  # what Windows does; no fork-only shortcuts
    start, results = ctx.Event(), ctx.Queue()
    children = [ctx.Process(target=_writer, args=(str(folder), name, start, results))
                for name in ("fabrikam.com", "contoso.com")]
    for child in children:
        child.start()
    start.set()
    outcome = dict(results.get(timeout=120) for _ in children)
    for child in children:
        child.join(timeout=30)
        assert child.exitcode == 0
    assert outcome == {"fabrikam.com": 0, "contoso.com": 0}
    state = json.loads((folder / "tenant.json").read_text(encoding="utf-8"))
    final = {d["id"]: d["passwordValidityPeriodInDays"] for d in state["domains"]}
    assert final["fabrikam.com"] == ROUNDS and final["contoso.com"] == ROUNDS


def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    # One PATCH whose first property is fine and whose second is not: Graph answers 400 and
    # applies neither; the sandbox used to keep the first change in memory and save it with the
    # next successful write.
    graph, token = _graph(tmp_path / "state")
    request = Request(method="PATCH", path="/v1.0/domains/tailspin.io", query={},
                      headers={"authorization": f"Bearer {token}"},
                      body=json.dumps({"passwordValidityPeriodInDays": 30,
                                       "passwordNotificationWindowInDays": "soon"}).encode())
    assert graph.handle(request).status == 400
    _call(graph, token, "PATCH", "/domains/fabrikam.com", {"passwordValidityPeriodInDays": 45})
    tailspin = _call(graph, token, "GET", "/domains/tailspin.io")
    assert tailspin["passwordValidityPeriodInDays"] == 2147483647


def test_a_failed_batch_item_changes_nothing_and_the_others_stay(tmp_path: Path) -> None:
    """ref §6.1: each batch item has its own status; a failed item (400) applies nothing, the
    successful ones before and after it stay applied."""
    graph, token = _graph(tmp_path / "state")
    headers = {"Content-Type": "application/json"}
    payload = _call(graph, token, "POST", "/$batch", {"requests": [
        {"id": "1", "method": "PATCH", "url": "/domains/fabrikam.com", "headers": headers,
         "body": {"passwordValidityPeriodInDays": 10}},
        {"id": "2", "method": "PATCH", "url": "/domains/tailspin.io", "headers": headers,
         "body": {"passwordValidityPeriodInDays": 20, "passwordNotificationWindowInDays": "x"}},
        {"id": "3", "method": "PATCH", "url": "/domains/contoso.com", "headers": headers,
         "body": {"passwordValidityPeriodInDays": 30}},
    ]})
    assert {r["id"]: r["status"] for r in payload["responses"]} == {"1": 204, "2": 400, "3": 204}
    days = {name: _call(graph, token, "GET", f"/domains/{name}")["passwordValidityPeriodInDays"]
            for name in ("fabrikam.com", "tailspin.io", "contoso.com")}
    assert days == {"fabrikam.com": 10, "tailspin.io": 2147483647, "contoso.com": 30}
