// FabricApi over the browser-mode WebSocket bridge (src-main/serve/). Each call is one {id, method, args}
// message answered by {id, result} or {id, error}; event batches arrive as {type: 'events'}.
import type { FabricApi, FabricCommandName, FabricCommands, FabricErrorInfo, FabricEventBatch } from '../../src-main/common/fabric-api';
import { fabricCommandNames } from '../../src-main/common/fabric-api';
import { FabricError, FabricErrors } from '../../src-main/common/fabric-errors';

type Reply = { id: number; result?: unknown; error?: FabricErrorInfo } | { type: 'events'; batch: FabricEventBatch };

export async function connectWebSocketFabric(url: string, onClose: () => void): Promise<FabricApi> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`Could not connect to the fabric at ${url.replace(/token=[^&]+/, 'token=…')}`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const listeners = new Set<(batch: FabricEventBatch) => void>();

  socket.addEventListener('message', (message) => {
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
  socket.addEventListener('close', () => {
    for (const call of pending.values()) call.reject(FabricErrors.connectionClosed());
    pending.clear();
    onClose();
  });

  const invoke = (method: FabricCommandName, args: unknown) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, args }));
    });

  const commands = Object.fromEntries(fabricCommandNames.map((name) => [name, (args?: unknown) => invoke(name, args)])) as unknown as FabricCommands;
  return {
    ...commands,
    onEvents(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
