// The few globals that every JavaScript runtime Fabric Lab runs on provides (Node main thread, worker
// threads, the browser). common/ is type-checked without Node's or the DOM's types so that nothing else
// leaks in; these are declared by hand instead.
declare function setTimeout(callback: () => void, ms?: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare const performance: { now(): number; readonly timeOrigin: number };
