"""Finding IdPs in a parsed metadata tree and pulling out what Federator needs from one of them.

Real files are namespace-sloppy: certificates are matched by local name (samlify puts
``X509Certificate`` in the metadata namespace, a "strict" reader would see none), and the caller is
told so it can warn. Roles and endpoints are matched in the SAML metadata namespace only.
Only the chosen entity is examined in detail, so a 5,000-entity aggregate costs little more than
parsing it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.metadata.model import Endpoint, MetadataError

if TYPE_CHECKING:
    from lxml import etree

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
_ED = f"{{{MD}}}EntityDescriptor"
_EDS = f"{{{MD}}}EntitiesDescriptor"
_IDP = f"{{{MD}}}IDPSSODescriptor"
_DATETIME = re.compile(
    r"^\s*(\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?\s*$")


@dataclass
class RawCertificate:
    """Certificate text as found, with where it was found."""

    text: str
    use: str | None
    namespace: str | None
    position: int


@dataclass
class RawEntity:
    """The chosen IdP's values before certificates are decoded and checks run."""

    entity_id: str
    element: etree._Element
    sso: list[Endpoint] = field(default_factory=list)
    slo: list[Endpoint] = field(default_factory=list)
    name_id_formats: list[str] = field(default_factory=list)
    valid_until: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    cache_duration: str | None = None
    certificates: list[RawCertificate] = field(default_factory=list)
    want_authn_requests_signed: bool | None = None


def local_name(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def find_idps(root: etree._Element) -> list[str]:
    """The entityID of every entity with an IDPSSODescriptor, in document order.

    Uses compiled XPath over the aggregate's structure only (never Python code per entity), so a
    5,000-entity aggregate costs little beside parsing it.
    """
    if root.tag == _ED:
        has_idp = next(root.iterchildren(_IDP), None) is not None
        return [root.get("entityID") or ""] if has_idp else []
    if root.tag != _EDS:
        raise _not_metadata(root)
    nested = next(root.iterchildren(_EDS), None) is not None
    ids: list[str] = _xpath("nested_ids" if nested else "ids")(root)
    return ids


def _xpath(name: str) -> Any:
    from lxml import etree

    if not _XPATHS:
        ns = {"md": MD}
        idp_entity = "md:EntityDescriptor[md:IDPSSODescriptor]"
        _XPATHS.update({
            "ids": etree.XPath(f"{idp_entity}/@entityID", namespaces=ns, smart_strings=False),
            "nested_ids": etree.XPath(
                f"descendant-or-self::md:EntitiesDescriptor/{idp_entity}/@entityID",
                namespaces=ns, smart_strings=False),
            "pick": etree.XPath("md:EntityDescriptor[@entityID=$e][md:IDPSSODescriptor]",
                                namespaces=ns),
            "nested_pick": etree.XPath(
                "descendant::md:EntityDescriptor[@entityID=$e][md:IDPSSODescriptor]",
                namespaces=ns),
        })
    return _XPATHS[name]


_XPATHS: dict[str, Any] = {}


def _not_metadata(root: etree._Element) -> MetadataError:
    name = local_name(root.tag)
    if name in ("EntityDescriptor", "EntitiesDescriptor"):
        return MetadataError(
            f"The root element <{name}> is not in the SAML 2.0 metadata namespace "
            f"(found '{root.tag.partition('}')[0].lstrip('{') or 'no namespace'}').",
            code="not_metadata",
            remedy="Export the metadata from the IdP again; this file was changed or is not "
                   "SAML 2.0 metadata.")
    return MetadataError(
        f"This XML is not SAML metadata (its root element is <{name}>).",
        code="not_metadata",
        remedy="Open the IdP's SAML 2.0 metadata (an EntityDescriptor), for example from the "
               "IdP's 'Export metadata' button or metadata URL.")


def no_idp_error(root: etree._Element) -> MetadataError:
    sp = next(root.iter(f"{{{MD}}}SPSSODescriptor"), None) is not None
    if sp:
        message = ("This metadata describes a service provider (an application that relies on "
                   "sign-in), not an identity provider.")
        remedy = ("Open the metadata of your identity provider (JumpCloud, Okta, AD FS...), "
                  "not of an application.")
    else:
        message = "This metadata describes no identity provider (no IDPSSODescriptor)."
        remedy = "Export the identity provider's SAML 2.0 metadata and open that file."
    return MetadataError(message, code="no_identity_provider", remedy=remedy)


def choose(root: etree._Element, ids: list[str], entity: str | None) -> etree._Element:
    """The EntityDescriptor of ``entity`` (or of the only IdP); errors list the choices."""
    shown = ", ".join(ids[:10]) + (f" (and {len(ids) - 10} more)" if len(ids) > 10 else "")
    if entity is not None and entity not in ids:
        raise MetadataError(
            f"The metadata has no identity provider with entity ID '{entity}'.",
            code="entity_not_found", remedy=f"Pick one of: {shown}.",
            details={"entity_ids": ids})
    if entity is None and len(ids) > 1:
        raise MetadataError(
            f"The metadata holds {len(ids)} identity providers: {shown}.",
            code="multiple_identity_providers",
            remedy="Choose one with --entity ENTITY_ID (the app offers a list).",
            details={"entity_ids": ids})
    wanted = ids[0] if entity is None else entity
    if root.tag == _ED:
        return root
    found = _xpath("pick")(root, e=wanted) or _xpath("nested_pick")(root, e=wanted)
    element: etree._Element = found[0]
    return element


def extract(entity: etree._Element) -> RawEntity:
    """Everything Federator reads from one EntityDescriptor with an IDPSSODescriptor."""
    idp = entity.find(_IDP)
    assert idp is not None
    raw = RawEntity(entity_id=entity.get("entityID") or "", element=entity)
    for element in (*reversed(list(entity.iterancestors())), entity, idp):
        value = element.get("validUntil")
        if value is not None:
            raw.valid_until.append((local_name(element.tag), value))
        duration = element.get("cacheDuration")
        if duration is not None:
            raw.cache_duration = duration.strip()
    wants = idp.get("WantAuthnRequestsSigned")
    if wants is not None:
        raw.want_authn_requests_signed = wants.strip().lower() in ("true", "1")
    position = 0
    for child in idp:
        name = local_name(child.tag)
        if name in ("SingleSignOnService", "SingleLogoutService"):
            endpoint = Endpoint(binding=(child.get("Binding") or "").strip(),
                                location=(child.get("Location") or "").strip(),
                                response_location=(child.get("ResponseLocation") or None))
            (raw.sso if name == "SingleSignOnService" else raw.slo).append(endpoint)
        elif name == "NameIDFormat":
            text = (child.text or "").strip()
            if text:
                raw.name_id_formats.append(text)
        elif name == "KeyDescriptor":
            use = child.get("use")
            use = use.strip().lower() if use is not None else None
            for cert in child.iter("{*}X509Certificate"):
                position += 1
                namespace = cert.tag.partition("}")[0].lstrip("{") if "}" in cert.tag else None
                raw.certificates.append(RawCertificate(text=cert.text or "", use=use or None,
                                                       namespace=namespace, position=position))
    return raw


def parse_datetime(text: str) -> dt.datetime | None:
    """An xs:dateTime as an aware UTC datetime; no zone means UTC (what IdPs mean)."""
    match = _DATETIME.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        value = dt.datetime(int(year), int(month), int(day), int(hour), int(minute),
                            int(second), int(float(fraction or "0") * 1_000_000) % 1_000_000,
                            tzinfo=dt.UTC)
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        value -= sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return value
