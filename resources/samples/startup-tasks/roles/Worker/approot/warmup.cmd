@echo off
echo warmup running
exit /b 0
