// `npm start` picks its shell: Electron when the binary is here (or can be fetched once), else browser
// mode with one line saying why.
import { describe, expect, it, vi } from 'vitest';
import { chooseShell } from '../../src-main/serve/start';

const binary = '/app/node_modules/electron/dist/electron';
const offline = { ok: false as const, reason: 'RequestError: getaddrinfo ENOTFOUND github.com' };

describe('npm start', () => {
  it('opens Electron when its binary is installed, without trying to download it', () => {
    const fetchElectron = vi.fn(() => ({ ok: true as const }));
    expect(chooseShell({ findElectron: () => binary, fetchElectron, env: {} })).toEqual({ shell: 'electron', binary });
    expect(fetchElectron).not.toHaveBeenCalled();
  });

  it('falls back to browser mode with one clear line when the binary is missing and cannot be fetched', () => {
    const fetchElectron = vi.fn(() => offline);
    const choice = chooseShell({ findElectron: () => null, fetchElectron, env: {} });
    expect(fetchElectron).toHaveBeenCalledTimes(1);
    expect(choice.shell).toBe('browser');
    if (choice.shell !== 'browser') return;
    expect(choice.message).toMatch(/^Electron's binary is not installed and could not be downloaded .*; starting Fabric Lab in browser mode instead\.$/);
    expect(choice.message).toContain('ENOTFOUND github.com');
    expect(choice.message).not.toContain('\n');
  });

  it('opens Electron when the one download succeeds', () => {
    const findElectron = vi.fn<() => string | null>().mockReturnValueOnce(null).mockReturnValueOnce(binary);
    const fetchElectron = vi.fn(() => ({ ok: true as const }));
    expect(chooseShell({ findElectron, fetchElectron, env: {} })).toEqual({ shell: 'electron', binary });
    expect(fetchElectron).toHaveBeenCalledTimes(1);
  });

  it('falls back to browser mode when the download "succeeds" but leaves no binary', () => {
    const choice = chooseShell({ findElectron: () => null, fetchElectron: () => ({ ok: true }), env: {} });
    expect(choice).toEqual({ shell: 'browser', message: expect.stringContaining('browser mode instead') });
  });

  it('uses browser mode when FABRIC_LAB_BROWSER=1, even with Electron installed, and downloads nothing', () => {
    const fetchElectron = vi.fn(() => offline);
    const choice = chooseShell({ findElectron: () => binary, fetchElectron, env: { FABRIC_LAB_BROWSER: '1' } });
    expect(choice).toEqual({ shell: 'browser', message: expect.stringContaining('FABRIC_LAB_BROWSER=1') });
    expect(fetchElectron).not.toHaveBeenCalled();
  });
});
