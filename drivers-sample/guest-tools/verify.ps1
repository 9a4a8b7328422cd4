# Checks that the media is intact: every file of manifest.json re-hashed. Written for Windows 7's
# PowerShell 2.0: no Get-Content -Raw, ConvertFrom-Json or Get-FileHash (3.0 and later).
param([switch]$Media)
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $MyInvocation.MyCommand.Path
$manifestPath = Join-Path $root 'manifest.json'
if (-not (Test-Path $manifestPath)) { $manifestPath = Join-Path (Split-Path -Parent $root) 'manifest.json' }
[void][System.Reflection.Assembly]::LoadWithPartialName('System.Web.Extensions')
$serializer = New-Object System.Web.Script.Serialization.JavaScriptSerializer
$serializer.MaxJsonLength = [int]::MaxValue
$manifest = $serializer.DeserializeObject([System.IO.File]::ReadAllText($manifestPath))
$package = $manifest['package']
$schema = [int]$manifest['schema_version']
if ($schema -lt 1 -or $schema -gt 4) { Write-Warning "unknown manifest schema_version $schema" }
Write-Host "Aero Guest Tools $($package['version']) (build $($package['build_id'])), signing policy $($manifest['signing_policy'])"
$provenance = $manifest['provenance']
foreach ($k in @('packaging_spec_path', 'packaging_spec_sha256', 'windows_device_contract_path', 'windows_device_contract_sha256')) {
  if ($provenance -eq $null -or -not $provenance.ContainsKey($k) -or [string]::IsNullOrEmpty([string]$provenance[$k])) {
    Write-Warning "provenance field $k is empty"
  }
}
$sha = [System.Security.Cryptography.SHA256]::Create()
$bad = 0
foreach ($f in $manifest['files']) {
  $rel = [string]$f['path']
  if ([System.IO.Path]::IsPathRooted($rel) -or ($rel -split '[\\/]') -contains '..') { Write-Warning "refused path: $rel"; $bad++; continue }
  $p = Join-Path $root $rel
  if (-not (Test-Path -LiteralPath $p)) { Write-Warning "missing: $rel"; $bad++; continue }
  $item = Get-Item -LiteralPath $p
  if ($item.Length -ne [long]$f['size']) { Write-Warning "size mismatch: $rel"; $bad++; continue }
  $stream = [System.IO.File]::OpenRead($item.FullName)
  try { $digest = $sha.ComputeHash($stream) } finally { $stream.Close() }
  $hex = [System.BitConverter]::ToString($digest).Replace('-', '')
  if ($hex -ne [string]$f['sha256']) { Write-Warning "hash mismatch: $rel"; $bad++ }
}
if ($bad) { exit 1 } else { Write-Host "All $($manifest['files'].Count) files verified." }
