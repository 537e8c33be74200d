// On Linux each host worker thread lowers its own priority (5 nicer than the process, host/host-os.ts), so the fabric's main
// thread, which serves the controller, the API and the UI, comes first when the host threads want more CPU than
// the machine has. Only the host threads: the main thread and the rest of the process keep theirs.
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Fabric } from '../../src-main/fabric/fabric';
import { hostWorkerUrl } from '../support/built';
import { waitFor } from '../support/fabric-helpers';

let fabric: Fabric | null = null;
afterEach(async () => {
  await fabric?.close();
  fabric = null;
});

/** The nice value of each thread of this process (field 19 of /proc/self/task/<tid>/stat), by thread id. */
function niceByThread(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      // The command name, in parentheses, may hold spaces: count fields after its closing one.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      nice.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return nice;
}

describe.skipIf(process.platform !== 'linux')('host worker priority', () => {
  it('each host thread runs 5 nicer than the process; the main thread and the other threads keep the process’s priority', async () => {
    const before = niceByThread();
    fabric = await Fabric.start({ hostWorkerUrl, timeScale: 10, pools: [{ name: 'Pool A', region: 'Local', hosts: 3, spareHosts: 0, coresPerHost: 8, faultDomains: 2 }] });
    const own = before.get(process.pid)!;
    const lowered = await waitFor('three lowered threads', async () => {
      const now = [...niceByThread().entries()].filter(([tid]) => !before.has(tid));
      const niced = now.filter(([, nice]) => nice === own + 5);
      return niced.length === 3 && now;
    });
    // Only the three hosts: the load balancer's thread and the thread pool stay at the process's priority.
    expect(lowered.filter(([, nice]) => nice !== own + 5).every(([, nice]) => nice === own)).toBe(true);
    expect(niceByThread().get(process.pid)).toBe(own);
  });
});
