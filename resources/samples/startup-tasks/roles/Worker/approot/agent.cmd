@echo off
echo agent running
exit /b 0
