@echo off
setlocal EnableExtensions EnableDelayedExpansion
rem Removes the driver packages this media staged, and nothing else: setup.cmd recorded each
rem package's published name (oemN.inf) beside its INF name in installed-drivers.txt, and only
rem entries whose INF name is one of this media's INFs are deleted. Other vendors' packages, which
rem pnputil -e would also list, are never touched.
set "MEDIA=%~dp0"
set "STATE=%SystemDrive%\AeroGuestTools"
call "%MEDIA%config\devices.cmd" || exit /b 1
if not exist "%STATE%\installed-drivers.txt" (
  echo setup.cmd recorded no driver package on this machine: nothing to remove.
  exit /b 0
)
for /f "usebackq tokens=1,2" %%P in ("%STATE%\installed-drivers.txt") do (
  set "OURS="
  for /r "%MEDIA%drivers" %%I in (*.inf) do if /i "%%~nxI"=="%%Q" set "OURS=1"
  echo %%P| findstr /r /i /x "oem[0-9]*\.inf" >nul || set "OURS="
  if defined OURS (
    echo Removing %%Q ^(%%P^)
    rem Deleting a package that is in use or already gone fails harmlessly.
    pnputil -d %%P >nul 2>&1 || echo   warning: could not remove %%P
  )
)
del "%STATE%\installed-drivers.txt" >nul 2>&1
echo Aero Guest Tools removed.
exit /b 0
