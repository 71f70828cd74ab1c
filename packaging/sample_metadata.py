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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--entity-id", default=ENTITY_ID)
    args = parser.parse_args()
    print(write_sample(args.out, args.entity_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
