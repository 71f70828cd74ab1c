"""The sandbox's sample IdP: JumpCloud-style metadata at an HTTPS URL on the sandbox, which can
rotate its signing certificate the way real IdPs do.

Real IdPs roll a certificate in two moves: they publish the new one beside the old one (the
relying party can add it ahead of time), then sign with the new one and drop the old one from
their metadata. ``stage`` and ``switch`` are those two moves; ``federator sandbox idp-rotate
--stage|--switch`` runs them. The state (certificates with their demo keys) is a JSON file in the
sandbox's state folder, so every process sharing the sandbox sees the same IdP; the metadata is
served at ``GET /sandbox/idp/metadata`` (public, as an IdP's metadata is) and written beside it
as ``metadata.xml`` for file-based demos.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from core.atomic_write import write_atomic

APP = "federator-demo"
ENTITY_ID = f"https://sso.jumpcloud.com/saml2/{APP}"
METADATA_PATH = "/sandbox/idp/metadata"


class SampleIdp:
    """The sample IdP whose state lives in ``folder`` (``<sandbox state>/idp``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.state_file = folder / "idp.json"
        self.metadata_file = folder / "metadata.xml"

    def _load(self) -> list[dict[str, str]]:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        certs = data.get("certificates") if isinstance(data, dict) else None
        return [c for c in certs or [] if isinstance(c, dict) and "cert_pem" in c]

    def _save(self, certs: list[dict[str, str]]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self.state_file, json.dumps({"certificates": certs}, indent=2).encode())
        write_atomic(self.metadata_file, self._build(certs), mode=0o644)

    @staticmethod
    def _issue(generation: int, now: dt.datetime | None) -> dict[str, str]:
        from core.idp_sample import jumpcloud_certificate

        org = "Federator Demo" if generation == 1 else f"Federator Demo (rotation {generation})"
        issued = jumpcloud_certificate(org, now=now)
        return {"cert_pem": issued.pem.decode(), "key_pem": issued.key_pem.decode(),
                "generation": str(generation)}

    @staticmethod
    def _after(certs: list[dict[str, str]], now: dt.datetime | None) -> dt.datetime:
        """A clock for the next certificate that makes it start at least a second after the
        newest one (two rotations within a second would otherwise look equally new)."""
        from cryptography import x509

        newest = max(x509.load_pem_x509_certificate(c["cert_pem"].encode()).not_valid_before_utc
                     for c in certs)
        # jumpcloud_certificate starts a certificate 5 minutes before its clock.
        floor = newest + dt.timedelta(minutes=5, seconds=1)
        return max(now or dt.datetime.now(dt.UTC), floor)

    def ensure(self, now: dt.datetime | None = None) -> SampleIdp:
        """Create the IdP with its first certificate if it does not exist yet."""
        if not self._load():
            self._save([self._issue(1, now)])
        return self

    def certificates(self) -> list[dict[str, str]]:
        return self._load()

    def metadata(self, now: dt.datetime | None = None) -> bytes:
        certs = self._load()
        if not certs:
            self.ensure(now)
            certs = self._load()
        return self._build(certs)

    def stage(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """Publish a new certificate beside the current one(s)."""
        certs = self._load() or [self._issue(1, now)]
        generation = max(int(c.get("generation", "1")) for c in certs) + 1
        certs.append(self._issue(generation, self._after(certs, now)))
        self._save(certs)
        return certs[-1]

    def switch(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """Sign with the newest certificate and drop the others from the metadata (staging one
        first when only one is published)."""
        certs = self._load()
        if len(certs) < 2:
            self.stage(now)
            certs = self._load()
        newest = certs[-1]
        self._save([newest])
        return newest

    @staticmethod
    def _build(certs: list[dict[str, str]]) -> bytes:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        from core.idp_sample import NAMEID_EMAIL, build_idp_metadata

        sso = ENTITY_ID
        ders = [x509.load_pem_x509_certificate(c["cert_pem"].encode()).public_bytes(Encoding.DER)
                for c in certs]
        return build_idp_metadata(ENTITY_ID, sso_post=sso, sso_redirect=sso,
                                  signing_certs=ders, name_id_formats=[NAMEID_EMAIL],
                                  style="jumpcloud")
