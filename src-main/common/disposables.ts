// Whatever is started is stopped: a DisposableStore (VS Code's idea) keeps what a component started, and
// disposes it in reverse order, so what started last (and may use what started before it) stops first.
import type { Disposer } from './fabric-api';

/** Something that can be stopped; a stop may take time (a worker thread ending, a file flushing). */
export type Disposable = Disposer | (() => Promise<void>) | { dispose(): void | Promise<void> };

export class DisposableStore {
  private readonly items: Disposable[] = [];
  private disposing: Promise<void> | null = null;

  get isDisposed(): boolean {
    return this.disposing !== null;
  }

  /** Keep `item` to be disposed with the store; added after the store was disposed, it is disposed at once. */
  add<T extends Disposable>(item: T): T {
    if (this.disposing) void this.disposing.then(() => disposeOne(item)).catch(() => {});
    else this.items.push(item);
    return item;
  }

  /**
   * Dispose everything, last added first, each awaited before the next. One that throws does not keep the rest
   * running: the first error is rethrown once all were disposed. Calling it again answers the same promise.
   */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      let failure: { error: unknown } | null = null;
      for (const item of this.items.splice(0).reverse()) {
        try {
          await disposeOne(item);
        } catch (error) {
          failure ??= { error };
        }
      }
      if (failure) throw failure.error;
    })();
    return this.disposing;
  }
}

async function disposeOne(item: Disposable): Promise<void> {
  await (typeof item === 'function' ? item() : item.dispose());
}
