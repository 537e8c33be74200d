// The V8 flags every shell process that runs a fabric starts with: npm start/serve/cli (package.json's scripts),
// the fabric-lab bin (cli.ts's shebang), Electron's main process (--js-flags on the command line start.ts gives it,
// the only way its own V8 takes them) and the bench (run-bench.mjs). tests/unit/v8-flags.test.ts holds them equal.
//
// --single-threaded-gc: V8's collector without background threads. With concurrent sweeping, each host worker's
// collection posts its C++ heap's sweep to the process's few platform threads, and until that job runs the worker's
// own sweep task reposts itself at once (Node 20's V8): behind hundreds of busy host threads those platform threads
// wait, so the hosts spin and keep both cores busy for tens of seconds (10,000 instances at 1x: lag p99 105-262 ms in
// three runs of four without it, 2.4-2.7 ms in five of five with it; docs/PERFORMANCE.md, "10,000 at 1x"). Each thread
// then collects its own heap.
// V8 takes it only at start: set later (v8.setFlagsFromString) it aborts in the main thread's marker.
export const shellV8Flags = ['--single-threaded-gc'] as const;
