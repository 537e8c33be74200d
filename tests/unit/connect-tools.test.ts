// The lines the "Connect tools" panel hands out: they name this fabric's URL, subscription and files, quoted
// for a shell when a folder has spaces.
import { describe, expect, it } from 'vitest';
import { toolRecipes } from '../../src-renderer/lib/connect-tools';

const connection = {
  url: 'https://127.0.0.1:4443',
  folder: '/home/u/My Lab/management',
  caPem: '',
  subscriptions: [{ id: 'sub-1', name: "Ann's Lab", token: 't', publishSettingsFileName: "Ann's Lab.publishsettings", publishSettings: '' }],
};

describe('toolRecipes', () => {
  it('points the classic azure CLI at the URL and imports the subscription\'s publish settings, quoting paths', () => {
    const [cli] = toolRecipes(connection, connection.subscriptions[0]!);
    expect(cli!.lines).toContain("export NODE_EXTRA_CA_CERTS='/home/u/My Lab/management/ca.pem'");
    expect(cli!.lines).toContain("azure account import '/home/u/My Lab/management/Ann'\\''s Lab.publishsettings'");
    expect(cli!.lines.some((l) => l.startsWith('azure account env add FabricLab --management-endpoint-url https://127.0.0.1:4443 '))).toBe(true);
  });

  it('gives curl the subscription\'s URL and the token file', () => {
    const curl = toolRecipes(connection, connection.subscriptions[0]!).find((r) => r.tool.startsWith('curl'))!;
    expect(curl.lines[0]).toContain('https://127.0.0.1:4443/sub-1/services/hostedservices');
    expect(curl.lines[0]).toContain("$(cat '/home/u/My Lab/management/token')");
  });
});
