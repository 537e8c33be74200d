// FabricApi over the browser-mode WebSocket bridge (src-main/serve/). Each call is one {id, method, args}
// message answered by {id, result} or {id, error}; event batches arrive as {type: 'events'}.
// When the socket drops (the server stopped, the machine slept), the api stays the same object: calls are
// refused at once with a clear message, event listeners are kept, and the socket is opened again with
// back-off; `onUp` then lets the store take a fresh snapshot, since the batches in between are lost.
import type { FabricApi, FabricCommandName, FabricCommands, FabricErrorInfo, FabricEventBatch } from '../../src-main/common/fabric-api';
import { commandsOver } from '../../src-main/common/fabric-api';
import { FabricError, FabricErrors } from '../../src-main/common/fabric-errors';

type Reply = { id: number; result?: unknown; error?: FabricErrorInfo } | { type: 'events'; batch: FabricEventBatch };

export interface ConnectionEvents {
  /** The socket closed; a reconnect attempt follows in `retryInMs`. */
  onDown(attempt: number, retryInMs: number): void;
  /** A socket is open again (not called for the first one). */
  onUp(): void;
}

/** Waits between reconnect attempts: quick at first (a restart takes a second or two), then every 10 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.max(0, attempt - 1));
}

function open(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  return new Promise((resolve, reject) => {
    const refused = () => reject(new Error(`Could not connect to the fabric at ${url.replace(/token=[^&]+/, 'token=…')}`));
    socket.addEventListener('open', () => resolve(socket), { once: true });
    // A refused handshake fires error then close; a socket closed before it opened fires only close.
    socket.addEventListener('error', refused, { once: true });
    socket.addEventListener('close', refused, { once: true });
  });
}

export async function connectWebSocketFabric(url: string, events: ConnectionEvents): Promise<FabricApi> {
  let socket: WebSocket | null = await open(url);
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const listeners = new Set<(batch: FabricEventBatch) => void>();

  const attach = (ws: WebSocket): void => {
    ws.addEventListener('message', (message) => {
      const reply = JSON.parse(String(message.data)) as Reply;
      if ('type' in reply) {
        for (const listener of listeners) listener(reply.batch);
        return;
      }
      const call = pending.get(reply.id);
      if (!call) return;
      pending.delete(reply.id);
      if (reply.error) call.reject(FabricError.fromInfo(reply.error));
      else call.resolve(reply.result);
    });
    ws.addEventListener('close', () => {
      socket = null;
      for (const call of pending.values()) call.reject(FabricErrors.connectionClosed());
      pending.clear();
      reconnect(1);
    });
  };

  const reconnect = (attempt: number): void => {
    const wait = reconnectDelay(attempt);
    events.onDown(attempt, wait);
    setTimeout(() => {
      open(url).then(
        (ws) => {
          socket = ws;
          attach(ws);
          events.onUp();
        },
        () => reconnect(attempt + 1),
      );
    }, wait);
  };
  attach(socket);

  const invoke = (method: FabricCommandName, args: unknown) =>
    new Promise((resolve, reject) => {
      if (!socket || socket.readyState !== WebSocket.OPEN) {
        reject(FabricErrors.notConnected());
        return;
      }
      const id = nextId++;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, args }));
    });

  return {
    ...commandsOver(invoke),
    onEvents(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
