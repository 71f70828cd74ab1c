"""What Federator says about a half-federated domain, and what remains when Graph cannot clear it.

Why it exists: a create that fails can leave a domain Federated with no readable federation
configuration (microsoft-graph-docs-contrib issue 1389). Federator's way out is
``PATCH /domains/{d}`` ``authenticationType=Managed``, which Microsoft documents for taking a domain
off federation (https://learn.microsoft.com/entra/identity/hybrid/connect/migrate-from-federation-to-cloud-authentication)
but has not confirmed for this state; the one public report says the domain could not be managed
through Graph at all and needed MSOnline (since retired) or removing and re-adding the domain.
So when that PATCH fails, Federator must not offer it again: these are the options that remain,
in the order to try them, each with its steps.
"""

from __future__ import annotations

UNCONFIRMED_WAY_BACK = (
    "The way back sets the domain to Managed, which Microsoft documents for federated domains "
    "but has not confirmed for a half-federated one; if it fails, Federator lists what remains.")


def recovery_failed(domain: str) -> str:
    """The sentence for a failed attempt to clear the half-federated state."""
    return (f"Microsoft has not confirmed that setting a half-federated domain back to Managed "
            f"works, and for {domain} it did not: the same command would fail the same way. "
            "The options that remain follow, in order.")


def remaining_options(domain: str) -> list[str]:
    """The ways out once ``PATCH authenticationType=Managed`` has failed, in the order to try
    them; none is a command Federator knows to fail."""
    return [
        f"1. Retry later: wait an hour (Microsoft says changes can take up to two hours to "
        f"apply), then read the domain again with `federator status --domain {domain}` (it "
        f"changes nothing). If it shows {domain} as Managed, you are done. If it shows a "
        f"federation configuration again, revert it: `federator revert --domain {domain} "
        f"--confirm {domain}`. If it still says half-federated, go on.",
        f"2. Delete the federation configuration, if Microsoft lists one: in Microsoft Graph "
        f"PowerShell, `Connect-MgGraph -Scopes Domain-InternalFederation.ReadWrite.All`, then "
        f"`Get-MgDomainFederationConfiguration -DomainId {domain}`; if it returns an Id, "
        f"`Remove-MgDomainFederationConfiguration -DomainId {domain} "
        f"-InternalDomainFederationId ID` with that Id (Security Administrator or External "
        f"Identity Provider Administrator). If it says the federationConfiguration does not exist, "
        f"this way is closed: go on.",
        f"3. Open a Microsoft support case: Microsoft 365 admin center > Support > Help & "
        f"support > Contact support (or Entra admin center > Diagnose and solve problems > New "
        f"support request). Say that {domain} reports authenticationType Federated with no "
        f"federation configuration after a failed create, and that PATCH /domains/{domain} "
        f"authenticationType=Managed fails; give the request-ids from `federator history "
        f"--domain {domain} --details`.",
        f"4. Last resort, if support cannot clear it: remove the domain and add it again "
        f"(Microsoft 365 admin center > Settings > Domains > {domain} > Remove domain, then Add "
        f"domain and verify it with its DNS record). Every user, group and address in {domain} "
        f"must first move to another domain, so plan it like a migration.",
    ]
