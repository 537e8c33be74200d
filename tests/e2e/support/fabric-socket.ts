// A second client of a running browser mode: one command over its WebSocket bridge, from outside the page,
// as the CLI or another tab would send it. Answers the result, or throws the fabric's error.
import { WebSocket } from 'ws';

export class BridgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function callFabric(pageUrl: string, method: string, args: unknown): Promise<unknown> {
  const address = new URL(pageUrl);
  const socket = new WebSocket(`ws://${address.host}/fabric?token=${address.searchParams.get('token')}`);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  try {
    const reply = await new Promise<{ result?: unknown; error?: { code: string; message: string } }>((resolve) => {
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { code: string; message: string } };
        if (message.id === 1) resolve(message);
      });
      socket.send(JSON.stringify({ id: 1, method, args }));
    });
    if (reply.error) throw new BridgeError(reply.error.code, reply.error.message);
    return reply.result;
  } finally {
    socket.close();
  }
}
