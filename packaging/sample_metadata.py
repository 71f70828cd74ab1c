"""Write a small, valid SAML 2.0 IdP metadata file for smoke-testing a frozen build.

The IdP metadata corpus is not in the public repository, so the Windows CI job and the packaging
test generate their input with the project's one metadata builder (``core.idp_sample``).

    python packaging/sample_metadata.py OUT.xml [--entity-id URL]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTITY_ID = "https://idp.packaging-smoke.example/saml2"

def write_sample(out: Path, entity_id: str = ENTITY_ID) -> Path:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from core.idp_sample import jumpcloud_sample

    xml, _issued = jumpcloud_sample("packaging-smoke", entity_id=entity_id, with_slo=True)
    out.write_bytes(xml)
    return out


def write_signed_sample(out: Path, entity_id: str = ENTITY_ID) -> Path:
    """The same IdP, signed the way AD FS signs its metadata (enveloped RSA-SHA256 signature over
    the EntityDescriptor, the signing certificate embedded): proves signxml works frozen."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from core.idp_sample import NAMEID_EMAIL, build_idp_metadata, jumpcloud_certificate

    issued = jumpcloud_certificate("packaging-smoke")
    sso = "https://sso.packaging-smoke.example/saml2"
    out.write_bytes(build_idp_metadata(entity_id, sso_post=sso, sso_redirect=sso,
                                       slo_redirect=sso, signing_certs=[issued.der],
                                       name_id_formats=[NAMEID_EMAIL], sign_with=issued))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--entity-id", default=ENTITY_ID)
    parser.add_argument("--signed", action="store_true", help="sign it (like AD FS)")
    args = parser.parse_args()
    print((write_signed_sample if args.signed else write_sample)(args.out, args.entity_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
