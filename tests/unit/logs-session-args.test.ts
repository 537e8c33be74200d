// Browser mode's --session option: where the session's logs go.
import { describe, expect, it } from 'vitest';
import { parseServeArgs, ServeArgsError, serveUsage } from '../../src-main/serve/serve-args';

describe('npm run serve -- --session', () => {
  it('takes the session folder and says so in the help', () => {
    expect(parseServeArgs(['--session', '/tmp/my session'])).toEqual({ kind: 'run', options: { session: '/tmp/my session' } });
    expect(serveUsage).toMatch(/--session <DIR>/);
  });

  it('refuses an empty folder or a missing value with one line naming the option', () => {
    expect(() => parseServeArgs(['--session', ''])).toThrow(ServeArgsError);
    expect(() => parseServeArgs(['--session', ''])).toThrow(/--session needs a folder path/);
    expect(() => parseServeArgs(['--session'])).toThrow(/--session/);
  });
});
