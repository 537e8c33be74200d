import { describe, expect, it } from 'vitest';
import { commandMessage, parseCommandArgs } from '../../src-main/common/command-dispatcher';
import { FabricError } from '../../src-main/common/fabric-api';

describe('command payload validation', () => {
  it('accepts the commands as the UI sends them', () => {
    expect(parseCommandArgs('deploy', { sample: 'hello-worker' })).toEqual({ sample: 'hello-worker' });
    expect(parseCommandArgs('deploy', { sample: 'hello-worker', serviceName: 'My-Service2', slot: 'staging' })).toMatchObject({ slot: 'staging' });
    expect(parseCommandArgs('deploy', { sample: 'hello-worker', emulated: true })).toMatchObject({ emulated: true });
    expect(parseCommandArgs('setClock', { scale: 1000 })).toEqual({ scale: 1000 });
    expect(parseCommandArgs('getSnapshot', undefined)).toBeUndefined();
    expect(parseCommandArgs('readLog', { file: 'fabric/x', fromLine: 0, count: 1, as: 'text' })).toMatchObject({ as: 'text' });
    expect(parseCommandArgs('readLog', { file: 'fabric/x', fromLine: 0, count: 1 })).not.toHaveProperty('as');
    expect(parseCommandArgs('sendInstanceRequest', { instanceId: 'd/WebRole1_IN_0', endpointName: 'HttpIn', path: '/a/b.html?x=1&y=%20', method: 'HEAD' })).toMatchObject({ path: '/a/b.html?x=1&y=%20' });
  });

  it.each([
    ['deploy', { sample: 5 }, /sample/],
    ['deploy', {}, /sample/],
    ['deploy', { sample: 'x', extra: true }, /extra/],
    ['deploy', { sample: 'x', slot: 'canary' }, /slot/],
    ['deploy', { sample: 'x', emulated: 'yes' }, /emulated/],
    ['deploy', { sample: 'x', serviceName: '1 bad name' }, /service name/],
    ['deleteDeployment', { deploymentId: '' }, /deploymentId/],
    ['setClock', { scale: 0 }, /scale/],
    ['setClock', { scale: 100_000 }, /scale/],
    ['setClock', {}, /give scale, paused, seed or several/],
    ['getSnapshot', { anything: 1 }, /argument/],
    ['sendInstanceRequest', { instanceId: 'd/WebRole1_IN_0', path: 'http://x/' }, /path: a path starts with "\/"/],
    ['sendInstanceRequest', { instanceId: 'd/WebRole1_IN_0', path: 'index.html' }, /path: a path starts with "\/"/],
    ['sendInstanceRequest', { instanceId: 'd/WebRole1_IN_0', path: `/${'a'.repeat(2_048)}` }, /path: a path is at most 2048/],
    ['sendInstanceRequest', { instanceId: 'd/WebRole1_IN_0', method: 'POST' }, /method/],
    ['sendInstanceRequest', { path: '/' }, /instanceId/],
    ['updateConfiguration', { deploymentId: 'deployment1(1)' }, /configuration/],
    ['updateConfiguration', { deploymentId: 'deployment1(1)', configuration: '' }, /configuration: the configuration is empty/],
    ['updateConfiguration', { deploymentId: 'deployment1(1)', configuration: '<x/>', fileName: '' }, /fileName/],
    ['updateConfiguration', { configuration: '<x/>' }, /deploymentId/],
    ['readLog', { file: 'fabric/x', fromLine: 0, count: 1, as: 'json' }, /as: .*"lines".*"text"/],
    ['readLog', { file: 'fabric/x', fromLine: 0, count: 1, as: 1 }, /as/],
  ] as const)('refuses %s with %j, naming the field', (method, args, field) => {
    try {
      parseCommandArgs(method, args);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FabricError);
      expect((e as FabricError).code).toBe('BadRequest');
      expect((e as FabricError).message).toMatch(field);
      expect((e as FabricError).message).toContain(method);
    }
  });

  it('refuses wire messages with an unknown method or a missing id', () => {
    expect(commandMessage.safeParse({ id: 1, method: 'rm -rf', args: {} }).success).toBe(false);
    expect(commandMessage.safeParse({ method: 'getSnapshot' }).success).toBe(false);
    expect(commandMessage.safeParse({ id: 1, method: 'getSnapshot' }).success).toBe(true);
  });
});
