@echo off
setlocal EnableExtensions EnableDelayedExpansion
rem Aero Guest Tools setup: reads the media's signing policy from manifest.json, installs the test
rem certificate and enables test signing only under the "test" policy, stages every driver INF for
rem this machine's architecture, and records what it staged (uninstall.cmd removes exactly that)
rem and the media version.

set "MEDIA=%~dp0"
set "STATE=%SystemDrive%\AeroGuestTools"
call "%MEDIA%config\devices.cmd" || (echo devices.cmd failed & exit /b 1)
if not defined AERO_VIRTIO_BLK_SERVICE (echo config\devices.cmd does not set AERO_VIRTIO_BLK_SERVICE & exit /b 1)
if not defined AERO_VIRTIO_BLK_HWIDS (echo config\devices.cmd does not set AERO_VIRTIO_BLK_HWIDS & exit /b 1)
if not exist "%MEDIA%manifest.json" (echo manifest.json not found next to setup.cmd & exit /b 1)

rem A line parser, so that setup works without PowerShell: "signing_policy" is read from its own
rem line, and the last line holding "version": is the media version (manifest.json has no other).
set "POLICY="
for /f "usebackq tokens=1,* delims=:" %%A in (`findstr /c:"\"signing_policy\":" "%MEDIA%manifest.json"`) do set "POLICY=%%B"
if defined POLICY set POLICY=!POLICY:"=!
if defined POLICY set "POLICY=!POLICY:,=!"
if defined POLICY set "POLICY=!POLICY: =!"
if /i "!POLICY!"=="testsigning" set "POLICY=test"
if /i "!POLICY!"=="test-signing" set "POLICY=test"
if /i "!POLICY!"=="prod" set "POLICY=production"
if /i "!POLICY!"=="whql" set "POLICY=production"
if /i "!POLICY!"=="nointegritychecks" set "POLICY=none"
if /i "!POLICY!"=="no-integrity-checks" set "POLICY=none"
if /i not "!POLICY!"=="test" if /i not "!POLICY!"=="production" if /i not "!POLICY!"=="none" (
  echo manifest.json: unknown signing_policy "!POLICY!" ^(expected test, production or none^)
  exit /b 1
)
set "MEDIA_VERSION="
for /f "usebackq tokens=1,* delims=:" %%A in (`findstr /c:"\"version\":" "%MEDIA%manifest.json"`) do set "MEDIA_VERSION=%%B"
if defined MEDIA_VERSION set MEDIA_VERSION=!MEDIA_VERSION:"=!
if defined MEDIA_VERSION set "MEDIA_VERSION=!MEDIA_VERSION:,=!"
if defined MEDIA_VERSION set "MEDIA_VERSION=!MEDIA_VERSION: =!"

set "ARCH=x86"
if /i "%PROCESSOR_ARCHITECTURE%"=="AMD64" set "ARCH=amd64"
if /i "%PROCESSOR_ARCHITEW6432%"=="AMD64" set "ARCH=amd64"

echo Aero Guest Tools !MEDIA_VERSION! (signing policy !POLICY!)
if /i "!POLICY!"=="test" call :policy_test
if /i "!POLICY!"=="none" echo   note: these drivers are not signed; 64-bit Windows 7 loads them only with signature enforcement disabled (F8).

if not exist "%STATE%" mkdir "%STATE%"
for /r "%MEDIA%drivers\%ARCH%" %%I in (*.inf) do (
  echo Staging %%~nxI
  set "PUBLISHED="
  for /f "tokens=1,* delims=:" %%P in ('pnputil -a "%%~fI" ^| findstr /i /c:"Published name"') do set "PUBLISHED=%%Q"
  if defined PUBLISHED (
    set "PUBLISHED=!PUBLISHED: =!"
    >>"%STATE%\installed-drivers.txt" echo !PUBLISHED! %%~nxI
  ) else (
    echo   warning: pnputil could not stage %%~nxI
  )
)
>"%STATE%\installed-media.txt" echo version=!MEDIA_VERSION!

echo Aero Guest Tools installed. Reboot to finish.
exit /b 0

:policy_test
rem Test-signed drivers: trust the media's certificate and let the kernel load test signatures.
for %%C in ("%MEDIA%certs\*.cer" "%MEDIA%certs\*.crt" "%MEDIA%certs\*.p7b") do (
  if exist "%%~fC" certutil -addstore -f Root "%%~fC" >nul && certutil -addstore -f TrustedPublisher "%%~fC" >nul
)
bcdedit /set testsigning on >nul || echo   warning: could not enable test signing ^(run setup.cmd as administrator^)
exit /b 0
