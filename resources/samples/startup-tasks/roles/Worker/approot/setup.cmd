@echo off
echo setup running
exit /b 0
