// DisposableStore: whatever was started is stopped, last started first, even when one stop fails.
import { describe, expect, it } from 'vitest';
import { DisposableStore } from '../../src-main/common/disposables';

describe('DisposableStore', () => {
  it('disposes in reverse order, waiting for each asynchronous stop before the next', async () => {
    const store = new DisposableStore();
    const order: string[] = [];
    store.add(() => order.push('logs'));
    store.add({ dispose: () => void order.push('events') });
    store.add(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push('hosts');
    });
    store.add(() => order.push('timers'));
    await store.dispose();
    expect(order).toEqual(['timers', 'hosts', 'events', 'logs']);
  });

  it('disposes the rest when one throws, then rethrows the first error; a second dispose does nothing more', async () => {
    const store = new DisposableStore();
    const order: string[] = [];
    store.add(() => order.push('first'));
    store.add(() => {
      throw new Error('stop failed');
    });
    store.add(() => order.push('last'));
    await expect(store.dispose()).rejects.toThrow('stop failed');
    expect(order).toEqual(['last', 'first']);
    await expect(store.dispose()).rejects.toThrow('stop failed');
    expect(order).toEqual(['last', 'first']);
    expect(store.isDisposed).toBe(true);
  });

  it('disposes at once what is added after the store was disposed', async () => {
    const store = new DisposableStore();
    await store.dispose();
    let stopped = false;
    store.add(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(stopped).toBe(true);
  });
});
