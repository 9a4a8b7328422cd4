# Checks that the media is intact (manifest.json hashes) and that the Aero drivers are bound.
param([switch]$Media)
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $MyInvocation.MyCommand.Path
$manifest = Get-Content -Raw -Path (Join-Path $root 'manifest.json') | ConvertFrom-Json
if ($manifest.schema_version -lt 1 -or $manifest.schema_version -gt 4) { Write-Warning "unknown manifest schema_version $($manifest.schema_version)" }
Write-Host "Aero Guest Tools $($manifest.package.version) (build $($manifest.package.build_id)), signing policy $($manifest.signing_policy)"
$bad = 0
foreach ($f in $manifest.files) {
  $p = Join-Path $root $f.path
  if (-not (Test-Path $p)) { Write-Warning "missing: $($f.path)"; $bad++; continue }
  $h = (Get-FileHash -Algorithm SHA256 -Path $p).Hash
  if ($h -ne $f.sha256) { Write-Warning "hash mismatch: $($f.path)"; $bad++ }
}
if ($bad) { exit 1 } else { Write-Host "All $($manifest.files.Count) files verified." }
