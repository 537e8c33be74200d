// The one command path of both shells: name checked, argument validated, the shell's guard applied, the
// fabric called on itself, and every outcome answered as data (never thrown).
import { describe, expect, it, vi } from 'vitest';
import { dispatchCommand } from '../../src-main/common/command-dispatcher';
import { FabricError, fabricCommandNames, type FabricApi } from '../../src-main/common/fabric-api';

function fakeApi() {
  const calls: { method: string; request: unknown; self: unknown }[] = [];
  const api = {} as Record<string, unknown>;
  for (const name of fabricCommandNames) {
    api[name] = vi.fn(async function (this: unknown, request: unknown) {
      calls.push({ method: name, request, self: this });
      if (name === 'deleteDeployment') throw new FabricError('NotFound', 'No deployment deployment9(x)');
      if (name === 'repairHost') throw new Error('worker gone');
      return { ok: name };
    });
  }
  api.onEvents = () => () => {};
  return { api: api as unknown as FabricApi, calls };
}

describe('dispatchCommand', () => {
  it('calls the checked command on the api itself and answers its result', async () => {
    const { api, calls } = fakeApi();
    expect(await dispatchCommand(api, 'deploy', { sample: 'hello-worker' })).toEqual({ result: { ok: 'deploy' } });
    expect(calls).toEqual([{ method: 'deploy', request: { sample: 'hello-worker' }, self: api }]);
  });

  it('answers BadRequest for an unknown name, an inherited property or a bad argument, and calls nothing', async () => {
    const { api, calls } = fakeApi();
    for (const [method, args] of [
      ['formatDisk', {}],
      ['onEvents', undefined],
      ['constructor', undefined],
      ['deploy', { sample: 'x', extra: 1 }],
      ['getSnapshot', { anything: 1 }],
      [42, undefined],
    ] as const) {
      const answer = await dispatchCommand(api, method, args);
      expect(answer, String(method)).toMatchObject({ error: { code: 'BadRequest' } });
    }
    expect(calls).toEqual([]);
  });

  it("passes on the fabric's error code, and answers anything else thrown as Internal", async () => {
    const { api } = fakeApi();
    expect(await dispatchCommand(api, 'deleteDeployment', { deploymentId: 'deployment9(x)' })).toEqual({
      error: { code: 'NotFound', message: 'No deployment deployment9(x)' },
    });
    expect(await dispatchCommand(api, 'repairHost', { hostId: 'pool-1-host-01' })).toEqual({ error: { code: 'Internal', message: 'worker gone' } });
  });

  it("applies the shell's guard to the checked argument: it may replace it or refuse the call", async () => {
    const { api, calls } = fakeApi();
    const guards = {
      exportSession: (request: { path?: string }) => {
        if (request.path !== undefined) throw new FabricError('BadRequest', 'no paths here');
        return {};
      },
    };
    expect(await dispatchCommand(api, 'exportSession', { path: '/etc/passwd' }, guards)).toEqual({ error: { code: 'BadRequest', message: 'no paths here' } });
    expect(await dispatchCommand(api, 'exportSession', { saveAs: true }, guards)).toEqual({ result: { ok: 'exportSession' } });
    expect(calls.map((c) => c.request)).toEqual([{}]);
  });
});
