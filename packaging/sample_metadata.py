"""Write a small, valid SAML 2.0 IdP metadata file for smoke-testing a frozen build.

The IdP metadata corpus is not in the public repository, so the Windows CI job and the packaging
test generate their input: one IdPSSODescriptor with a fresh self-signed signing certificate
(core.certgen), a redirect/POST SSO endpoint and a logout endpoint.

    python packaging/sample_metadata.py OUT.xml [--entity-id URL]
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTITY_ID = "https://idp.packaging-smoke.example/saml2"

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
                     xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{base}/slo"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="{base}/sso"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{base}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


def write_sample(out: Path, entity_id: str = ENTITY_ID) -> Path:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from core.certgen import make_certificate

    cert = make_certificate("Packaging smoke-test IdP", days=730)
    out.write_text(TEMPLATE.format(entity_id=entity_id, base=entity_id.rstrip("/"),
                                   cert=base64.b64encode(cert.der).decode("ascii")),
                   encoding="utf-8")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--entity-id", default=ENTITY_ID)
    args = parser.parse_args()
    print(write_sample(args.out, args.entity_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
