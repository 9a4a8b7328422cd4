@echo off
setlocal EnableExtensions EnableDelayedExpansion
rem Aero Guest Tools setup: installs the test certificate (when the media ships one),
rem stages every driver INF for this machine's architecture, and records the media version.

set "MEDIA=%~dp0"
call "%MEDIA%config\devices.cmd" || (echo devices.cmd failed & exit /b 1)
if not defined AERO_VIRTIO_BLK_SERVICE (echo config\devices.cmd does not set AERO_VIRTIO_BLK_SERVICE & exit /b 1)
if not defined AERO_VIRTIO_BLK_HWIDS (echo config\devices.cmd does not set AERO_VIRTIO_BLK_HWIDS & exit /b 1)

set "ARCH=x86"
if /i "%PROCESSOR_ARCHITECTURE%"=="AMD64" set "ARCH=amd64"
if /i "%PROCESSOR_ARCHITEW6432%"=="AMD64" set "ARCH=amd64"

for %%C in ("%MEDIA%certs\*.cer" "%MEDIA%certs\*.crt" "%MEDIA%certs\*.p7b") do (
  if exist "%%~fC" certutil -addstore -f Root "%%~fC" >nul && certutil -addstore -f TrustedPublisher "%%~fC" >nul
)

for /r "%MEDIA%drivers\%ARCH%" %%I in (*.inf) do (
  echo Staging %%~nxI
  pnputil -a "%%~fI" >nul || echo   warning: pnputil could not stage %%~nxI
)

echo Aero Guest Tools installed. Reboot to finish.
exit /b 0
