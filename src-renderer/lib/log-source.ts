// One log file as the viewer sees it: its line count, and the lines around what is on screen, fetched
// in blocks from the API and kept in a small least-recently-used cache. The file is never loaded whole:
// a 1,000,000-line file costs the blocks in view and the last few visited.
import type { FabricApi } from '../../src-main/common/fabric-api';

export const blockLines = 500;
const keptBlocks = 120;

export class LogSource {
  total = 0;
  private readonly blocks = new Map<number, string[]>();
  private readonly inflight = new Map<number, Promise<void>>();

  constructor(
    private readonly api: FabricApi,
    readonly file: string,
  ) {}

  /** The line, when its block is cached (undefined: call ensure and redraw). */
  line(n: number): string | undefined {
    const block = this.blocks.get(Math.floor(n / blockLines));
    return block?.[n % blockLines];
  }

  /** Fetch the blocks holding these lines; resolves when they are cached. */
  async ensure(lines: Iterable<number>): Promise<void> {
    const wanted = new Set<number>();
    for (const n of lines) if (n < this.total && this.line(n) === undefined) wanted.add(Math.floor(n / blockLines));
    await Promise.all([...wanted].map((b) => this.fetch(b)));
  }

  /** Reads the line count again; a grown file drops its last (partial) block so new lines show. */
  async refresh(): Promise<number> {
    const page = await this.api.readLog({ file: this.file, fromLine: 0, count: 1 });
    if (page.total !== this.total) {
      this.blocks.delete(Math.floor(Math.max(0, this.total - 1) / blockLines));
      if (page.total < this.total) this.blocks.clear(); // replaced by a shorter file
      this.total = page.total;
    }
    return this.total;
  }

  private fetch(block: number): Promise<void> {
    const running = this.inflight.get(block);
    if (running) return running;
    const from = block * blockLines;
    const count = Math.min(blockLines, this.total - from);
    const done = this.api
      .readLog({ file: this.file, fromLine: from, count })
      .then((page) => {
        this.total = Math.max(this.total, page.total);
        this.blocks.delete(block);
        this.blocks.set(block, page.lines);
        while (this.blocks.size > keptBlocks) this.blocks.delete(this.blocks.keys().next().value!);
      })
      .finally(() => this.inflight.delete(block));
    this.inflight.set(block, done);
    return done;
  }
}

/** A growable list of line numbers (matches), compact whatever the file's size. */
export class LineList {
  private data = new Uint32Array(1024);
  length = 0;

  push(values: Uint32Array): void {
    if (this.length + values.length > this.data.length) {
      const next = new Uint32Array(Math.max(this.data.length * 2, this.length + values.length));
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(values, this.length);
    this.length += values.length;
  }

  /** The i-th entry, or -1 past the end. */
  at(i: number): number {
    return i >= 0 && i < this.length ? this.data[i]! : -1;
  }

  /** Index of the first entry >= line (entries are ascending). */
  lowerBound(line: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.data[mid]! < line) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
