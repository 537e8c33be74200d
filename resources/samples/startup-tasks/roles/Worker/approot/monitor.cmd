@echo off
echo monitor running
exit /b 0
