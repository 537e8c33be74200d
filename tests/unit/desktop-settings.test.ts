// The desktop app's host-node settings: the same NATS flags as `serve` on its command line or in settings.json,
// the command line winning; Electron's own switches ignored; a bad file or flag named with what is wrong.
import { describe, expect, it } from 'vitest';
import { desktopNatsFlags } from '../../src-main/electron/desktop-settings';

const file = '/home/user/.config/Fabric Lab/settings.json';

describe('the desktop app settings', () => {
  it('reads the NATS flags from the command line, past the app path and Electron switches', () => {
    expect(desktopNatsFlags(['.', '--no-sandbox', '--nats', 'nats://10.0.0.5:4222', '--nats-user', 'fabric'], null, file)).toEqual({ nats: 'nats://10.0.0.5:4222', natsUser: 'fabric' });
    expect(desktopNatsFlags(['.'], null, file)).toEqual({});
  });

  it('reads settings.json, and the command line wins', () => {
    const text = JSON.stringify({ nats: 'nats://fabric1:4222', natsUser: 'fabric', joinTokenFile: '/etc/fabric-lab/join.token' });
    expect(desktopNatsFlags([], text, file)).toEqual({ nats: 'nats://fabric1:4222', natsUser: 'fabric', joinTokenFile: '/etc/fabric-lab/join.token' });
    expect(desktopNatsFlags(['--nats', 'tls://fabric2:4222'], text, file)).toMatchObject({ nats: 'tls://fabric2:4222', natsUser: 'fabric' });
  });

  it('names the file, the line and the rule for a settings.json it cannot use, and the flag for a bad command line', () => {
    expect(() => desktopNatsFlags([], '{\n  "nats": "nats://x:1",\n}', file)).toThrow(new RegExp(`^${file.replace(/\./g, '\\.')}:3:1: \\[settings\\.json\\] not JSON`));
    expect(() => desktopNatsFlags([], JSON.stringify({ natsPassword: 'secret' }), file)).toThrow(/settings\.json: \[settings\.keys\] "natsPassword": .*the settings are nats, natsUser/);
    expect(() => desktopNatsFlags([], JSON.stringify({ nats: 'http://x:1' }), file)).toThrow(/settings\.json: .*--nats must be nats:\/\/HOST:PORT or tls:\/\/HOST:PORT/);
    expect(() => desktopNatsFlags(['--nats', 'http://x'], null, file)).toThrow(/^The command line: .*--nats must be nats:\/\/HOST:PORT/);
  });
});
