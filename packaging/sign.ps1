<#
  Sign Federator's Windows files: every .exe, .dll and .pyd under a folder (the onedir, including
  _internal\), or one file (the MSI). Used by .github/workflows/windows.yml and by hand.

  Why both modes: since June 2023 a publicly trusted code-signing certificate's private key must
  live in hardware (CA/Browser Forum Baseline Requirements for Code Signing, section 6.2.7.4), so a
  PFX file in a CI secret is no longer possible. Two ways remain:

  * a cloud signing service: Azure Trusted Signing (the TrustedSigning PowerShell module,
    https://learn.microsoft.com/azure/trusted-signing/how-to-signing-integrations), authenticated
    with the AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET of an app registration that
    holds the "Trusted Signing Certificate Profile Signer" role; or
  * signtool with a certificate on a hardware token or HSM that the (self-hosted) runner can use,
    chosen by its SHA-1 thumbprint in the certificate store.

  Unsigned DLLs in _internal are what AppLocker / Smart App Control judge too, hence all of them.

    pwsh packaging/sign.ps1 -Path dist\Federator          # every exe/dll/pyd, recursively
    pwsh packaging/sign.ps1 -Path dist\Federator-1.0.0.msi -Description Federator

  Mode from the environment: FEDERATOR_SIGN_TRUSTED_ENDPOINT + FEDERATOR_SIGN_TRUSTED_ACCOUNT +
  FEDERATOR_SIGN_TRUSTED_PROFILE (Trusted Signing), or FEDERATOR_SIGN_CERT_SHA1 (signtool).
#>
param(
  [Parameter(Mandatory = $true)][string]$Path,
  [string]$Description = "Federator",
  [string]$Timestamp = ""
)
$ErrorActionPreference = "Stop"

$item = Get-Item -LiteralPath $Path
if ($item.PSIsContainer) {
  $files = Get-ChildItem -LiteralPath $item.FullName -Recurse -File -Include *.exe, *.dll, *.pyd
} else {
  $files = @($item)
}
if (-not $files) { throw "nothing to sign under $Path" }
"signing $($files.Count) file(s) under $Path"

if ($env:FEDERATOR_SIGN_TRUSTED_ACCOUNT) {
  if (-not $Timestamp) { $Timestamp = "http://timestamp.acs.microsoft.com" }
  if (-not (Get-Module -ListAvailable -Name TrustedSigning)) {
    Install-Module -Name TrustedSigning -Scope CurrentUser -Force -AcceptLicense
  }
  $list = Join-Path ([IO.Path]::GetTempPath()) "federator-sign-files.txt"
  $files.FullName | Set-Content -LiteralPath $list -Encoding utf8
  $params = @{
    Endpoint               = $env:FEDERATOR_SIGN_TRUSTED_ENDPOINT
    CodeSigningAccountName = $env:FEDERATOR_SIGN_TRUSTED_ACCOUNT
    CertificateProfileName = $env:FEDERATOR_SIGN_TRUSTED_PROFILE
    FilesCatalog           = $list
    FileDigest             = "SHA256"
    TimestampRfc3161       = $Timestamp
    TimestampDigest        = "SHA256"
    Description            = $Description
  }
  Invoke-TrustedSigning @params
} elseif ($env:FEDERATOR_SIGN_CERT_SHA1) {
  if (-not $Timestamp) { $Timestamp = "http://timestamp.digicert.com" }
  $signtool = (Get-ChildItem "${env:ProgramFiles(x86)}\Windows Kits\10\bin\*\x64\signtool.exe" |
               Sort-Object FullName | Select-Object -Last 1).FullName
  if (-not $signtool) { throw "signtool.exe not found (Windows SDK)" }
  # In batches: one signtool call per file would take minutes for ~250 files.
  for ($i = 0; $i -lt $files.Count; $i += 50) {
    $batch = $files[$i..([Math]::Min($i + 49, $files.Count - 1))].FullName
    & $signtool sign /sha1 $env:FEDERATOR_SIGN_CERT_SHA1 /fd sha256 /tr $Timestamp /td sha256 `
        /d $Description @batch
    if ($LASTEXITCODE -ne 0) { throw "signtool failed ($LASTEXITCODE)" }
  }
} else {
  throw "no signing configured: set FEDERATOR_SIGN_TRUSTED_* or FEDERATOR_SIGN_CERT_SHA1"
}
