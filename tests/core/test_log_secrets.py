"""Secrets never reach the log: msal answers printed with repr(), opaque refresh tokens."""

from __future__ import annotations

import logging
from pathlib import Path

from core.logs import scrub, setup_logging

OPAQUE_REFRESH = "0.AXYZrefreshSECRETvalue-abc_def"


def test_scrub_removes_secrets_from_a_python_dict_repr() -> None:
    # An msal result printed with repr(): single quotes, and a refresh token that is no JWT.
    text = repr({"access_token": "opaqueACCESS", "refresh_token": OPAQUE_REFRESH,
                 "id_token": "opaqueID", "device_code": "GAQABdeviceSECRET",
                 "token_type": "Bearer"})
    cleaned = scrub(text)
    for secret in ("opaqueACCESS", OPAQUE_REFRESH, "opaqueID", "GAQABdeviceSECRET"):
        assert secret not in cleaned
    assert "token_type" in cleaned  # the shape stays readable


def test_a_logged_msal_result_leaves_no_refresh_token_in_the_log_file(tmp_path: Path) -> None:
    log_file = tmp_path / "federator.log"
    setup_logging(log_file)
    try:
        logging.getLogger("core.review").warning("token answer: %r",
                                                 {"refresh_token": OPAQUE_REFRESH})
        for handler in logging.getLogger().handlers:
            handler.flush()
    finally:
        setup_logging(None)
    assert "token answer" in log_file.read_text(encoding="utf-8")
    assert OPAQUE_REFRESH not in log_file.read_text(encoding="utf-8")


# -- Graph client: an answer that breaks off mid-body ----------------------------------------------
