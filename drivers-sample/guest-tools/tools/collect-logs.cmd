@echo off
rem Collects setupapi and driver logs into %TEMP%\aero-logs for bug reports.
set "OUT=%TEMP%\aero-logs"
mkdir "%OUT%" 2>nul
copy /y "%WINDIR%\inf\setupapi.dev.log" "%OUT%\" >nul 2>&1
pnputil -e > "%OUT%\pnputil.txt" 2>&1
echo Logs written to %OUT%
