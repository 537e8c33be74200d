// What escapes every boundary is reported and the process lives on.
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { installLastResortHandlers } from '../../src-main/fabric/last-resort';

describe('the last-resort handlers', () => {
  it('report an uncaught exception and an unhandled rejection to the fabric, and can be removed', () => {
    const target = new EventEmitter();
    const reported: string[] = [];
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    const remove = installLastResortHandlers((m) => reported.push(m), target);
    // Without a listener, emitting 'uncaughtException' on an emitter has nobody to tell; with one, it is said.
    expect(target.emit('uncaughtException', new Error('boom'))).toBe(true);
    expect(target.emit('unhandledRejection', 'late refusal')).toBe(true);
    expect(reported).toEqual([
      'An error escaped every handler (the fabric keeps running): boom',
      'A promise failed with no handler (the fabric keeps running): late refusal',
    ]);
    expect(stderr).toHaveBeenCalledTimes(2);
    remove();
    expect(target.listenerCount('uncaughtException') + target.listenerCount('unhandledRejection')).toBe(0);
    stderr.mockRestore();
  });

  it('still writes to stderr when the report itself fails', () => {
    const target = new EventEmitter();
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    installLastResortHandlers(() => {
      throw new Error('log closed');
    }, target);
    target.emit('uncaughtException', new Error('boom'));
    expect(String(stderr.mock.calls[0]?.[0])).toContain('boom');
    stderr.mockRestore();
  });
});
