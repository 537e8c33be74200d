@echo off
rem Installs what the role needs before it starts.
echo Installing prerequisites...
exit /b 0
