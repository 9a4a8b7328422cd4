@echo off
setlocal EnableExtensions
rem Removes the Aero driver packages staged by setup.cmd.
call "%~dp0config\devices.cmd" || exit /b 1
for /f "tokens=1,* delims=:" %%A in ('pnputil -e ^| findstr /i /c:"Published name"') do (
  rem pnputil -e lists oem*.inf; deleting a package that is in use fails harmlessly.
  pnputil -d %%B >nul 2>&1
)
echo Aero Guest Tools removed.
exit /b 0
