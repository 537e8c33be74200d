// The ProgramEntryPoint of the Worker role: a plain program, no RoleEntryPoint. WaWorkerHost starts it in approot
// with the role's Runtime Environment; what it writes to stdout and stderr lands in WaWorkerHost.log.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

console.log(`worker.mjs started (pid ${process.pid}): ${process.env.GREETING}; emulated=${process.env.EMULATED}; mode=${process.env.MODE}`);
console.log(`Scratch local storage at ${process.env.SCRATCH}`);
if (process.env.SCRATCH) writeFileSync(join(process.env.SCRATCH, 'started.txt'), new Date().toISOString());

// Exiting would recycle the role (a non-zero exit is a crash), so the program keeps working.
let n = 0;
setInterval(() => console.log(`Working (${++n})`), 10_000);
