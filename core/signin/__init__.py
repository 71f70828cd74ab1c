"""Judging a federated sign-in: what Entra ID does with the SAML response an IdP posts to it.

One copy of the rules, used by the sandbox (which plays Entra's side of the sign-in), by
``federator test-signin`` and by the sign-in doctor (``federator doctor``): ``decode`` turns
what the admin captured into the response XML, ``response`` reads it safely (hardened parser,
signatures checked against the tenant's configured certificates, values read only from what the
signature covers), ``judge`` applies Entra's checks in Entra's order, ``codes`` explains AADSTS
codes. Pure: no HTTP, no Qt.
"""
