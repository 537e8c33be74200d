// Watches one forwarded connection of an http endpoint without changing a byte: it parses the requests the
// client sends and the responses the instance answers (http-parser-js) only to count requests, time each
// from its head to its response's head, and see 5xx answers. The load balancer itself stays a TCP forwarder
// (Azure's is layer 4); when either side stops speaking HTTP, the meter stops and the bytes still flow.
import { HTTPParser } from 'http-parser-js';

export interface ExchangeEvents {
  request(): void;
  response(status: number, latencyMs: number): void;
  /** The client's bytes are not HTTP (garbage, or a protocol the endpoint does not speak). */
  malformed(): void;
}

type Parser = InstanceType<typeof HTTPParser>;
type HeadInfo = { headers: string[]; method: number; statusCode: number; upgrade: boolean };

const headMethod = HTTPParser.methods.indexOf('HEAD');

/** Whether a request's head announces a body (a request without Content-Length or chunked coding has none). */
function hasBody(headers: string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    if (name === 'content-length') return Number(headers[i + 1]) > 0;
    if (name === 'transfer-encoding') return true;
  }
  return false;
}

export class HttpExchangeMeter {
  private readonly requests: Parser | null;
  private readonly responses: Parser | null;
  /** Requests sent and not answered yet: when each head was complete, and whether it was HEAD. */
  private readonly pending: { at: number; head: boolean }[] = [];
  private stopped = false;

  constructor(private readonly events: ExchangeEvents) {
    this.requests = new HTTPParser(HTTPParser.REQUEST);
    this.responses = new HTTPParser(HTTPParser.RESPONSE);
    this.requests.maxHeaderSize = 64 * 1024;
    this.requests[HTTPParser.kOnHeadersComplete] = ((info: HeadInfo) => {
      this.pending.push({ at: performance.now(), head: info.method === headMethod });
      this.events.request();
      if (info.upgrade) this.stop();
      return hasBody(info.headers) ? 0 : 1;
    }) as never;
    this.responses[HTTPParser.kOnHeadersComplete] = ((info: HeadInfo) => {
      const status = info.statusCode;
      if (status >= 100 && status < 200 && status !== 101) return 1; // informational: the real answer follows
      const request = this.pending.shift();
      if (request) this.events.response(status, performance.now() - request.at);
      if (status === 101) this.stop();
      return request?.head || status === 204 || status === 304 ? 1 : 0;
    }) as never;
  }

  /** Requests the instance never answered (counted when the connection ends). */
  get unanswered(): number {
    return this.pending.length;
  }

  fromClient(chunk: Buffer): void {
    if (this.stopped) return;
    const result = this.requests!.execute(chunk);
    if (result instanceof Error) {
      // The instance answers such bytes itself (http.sys: 400) or cuts them off; that answer is not a request's.
      this.pending.length = 0;
      this.events.malformed();
      this.stop();
    }
  }

  fromInstance(chunk: Buffer): void {
    if (this.stopped) return;
    if (this.responses!.execute(chunk) instanceof Error) this.stop();
  }

  private stop(): void {
    this.stopped = true;
  }
}
