@echo off
echo Installing a prerequisite that is not there...
rem The download fails, and so does the task.
exit /b 1
