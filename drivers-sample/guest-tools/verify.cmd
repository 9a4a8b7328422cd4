@echo off
rem Runs verify.ps1 with the execution policy relaxed for this process only.
powershell -NoProfile -ExecutionPolicy Bypass -File "%~dp0verify.ps1" %*
exit /b %ERRORLEVEL%
