// Every file a test run writes to the system temp folder (session folders, uploads, role resources) goes
// into one folder of its own, removed when the run ends: the machine keeps nothing from a test run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'fabric-lab-test-run-'));
  // os.tmpdir() reads TMPDIR: the test workers, and every fabric and child process they start, inherit it.
  process.env.TMPDIR = root;
  // The shells keep the host code cache in the user's cache folder: a test run's goes with the rest.
  process.env.FABRIC_LAB_CACHE_DIR = join(root, 'cache');
  return () => rmSync(root, { recursive: true, force: true });
}
