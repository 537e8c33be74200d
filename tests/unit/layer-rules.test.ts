// The layer rules and the no-cycle rule of .dependency-cruiser.cjs (run over the whole tree by `npm test`)
// catch what they are there for: run here over a small tree that breaks each of them once.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
let dir: string;

const files: Record<string, string> = {
  'src-main/common/contract.ts': "import { Fabric } from '../fabric/fabric';\nexport type X = Fabric;\n",
  'src-main/fabric/fabric.ts': "import { HostAgent } from '../host/host-agent';\nexport class Fabric { a = HostAgent; }\n",
  'src-main/host/host-agent.ts': "import type { Fabric } from '../fabric/fabric';\nexport class HostAgent { f?: Fabric; }\n",
  'src-main/logs/log-writer.ts': "import { readFileSync } from 'node:fs';\nexport const w = readFileSync;\n",
  'src-main/serve/fine.ts': "import { w } from '../logs/log-writer';\nexport const v = w;\n",
  'src-renderer/lib/store.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fabric-lab-layers-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  await writeFile(join(dir, 'tsconfig.node.json'), JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler' } }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('layer rules (dependency-cruiser)', () => {
  it('names each broken rule with the import that breaks it, and passes the imports that are allowed', () => {
    const bin = join(repo, 'node_modules', '.bin', 'depcruise');
    let output = '';
    try {
      execFileSync(bin, ['src-main', 'src-renderer', '--config', join(repo, '.dependency-cruiser.cjs'), '--output-type', 'err'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      output = (error as { stdout: string }).stdout;
    }
    const found = [...output.matchAll(/error (\S+): (\S+) → (\S+)/g)].map(([, rule, from, to]) => `${rule}: ${from} -> ${to}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'common-is-pure: src-main/common/contract.ts -> src-main/fabric/fabric.ts',
        'fabric-knows-no-transport: src-main/fabric/fabric.ts -> src-main/host/host-agent.ts',
        'host-shares-only-common-and-logs: src-main/host/host-agent.ts -> src-main/fabric/fabric.ts',
        'renderer-talks-only-to-the-contract: src-renderer/lib/store.ts -> fs',
      ]),
    );
    expect(output).toMatch(/error no-cycles: src-main\/(fabric\/fabric|host\/host-agent)\.ts/);
    expect(found.filter((line) => line.includes('serve/fine.ts') || line.includes('logs/log-writer.ts'))).toEqual([]);
  });
});
