// The renderer's frame times, measured inside the page: requestAnimationFrame deltas while the fabric
// pushes batches of live instance updates. The deployment card (with its FD x UD map of every instance)
// is scrolled into view so its tiles are on screen and redrawn. Every wait here is bounded.

/**
 * Counts the event batches the page receives on its WebSocket (Playwright's view of the frames, so the
 * page pays nothing extra): batches, instance updates in them, and the last clock scale pushed. Attach
 * before `page.goto`. The store applies every batch newer than its snapshot, so after the load these
 * are the batches and updates the page applied.
 */
export function watchPushedBatches(page) {
  const counts = { batches: 0, updates: 0, instances: new Set(), clockScale: null, bytes: 0, lastBatchAt: null, sockets: 0, closes: 0 };
  page.on('websocket', (ws) => {
    counts.sockets++;
    // A socket closing (the server drops a client too far behind, or the server went away) is reported.
    ws.on('close', () => counts.closes++);
    ws.on('framereceived', ({ payload }) => {
      if (typeof payload !== 'string' || !payload.startsWith('{"type":"events"')) return;
      let message;
      try {
        message = JSON.parse(payload);
      } catch {
        return;
      }
      counts.batches++;
      counts.lastBatchAt = Date.now();
      counts.bytes += payload.length;
      for (const e of message.batch?.events ?? []) {
        if (e.type === 'instance') counts.updates++, counts.instances.add(e.instance.id);
        else if (e.type === 'guest-heartbeat') counts.updates++, counts.instances.add(e.instanceId);
        else if (e.type === 'clock') counts.clockScale = e.clock.scale;
      }
    });
  });
  return {
    get clockScale() {
      return counts.clockScale;
    },
    get batchesSinceTake() {
      return counts.batches;
    },
    /** Counts since the last call. */
    take() {
      const taken = {
        batches: counts.batches,
        updates: counts.updates,
        instancesUpdated: counts.instances.size,
        megabytes: counts.bytes / 2 ** 20,
        lastBatchAgoMs: counts.lastBatchAt === null ? null : Date.now() - counts.lastBatchAt,
        socketsOpened: counts.sockets,
        socketsClosed: counts.closes,
      };
      counts.batches = counts.updates = counts.bytes = 0;
      counts.instances = new Set();
      return taken;
    },
  };
}

/** Opens the page and waits until the deployment card shows every instance ready and its tiles are in view. */
export async function loadFleetPage(page, url, instances, timeoutMs = 120_000) {
  const t0 = Date.now();
  await page.goto(url, { timeout: timeoutMs, waitUntil: 'domcontentloaded' });
  const domContentLoadedMs = Date.now() - t0;
  const card = page.getByRole('article', { name: /^Deployment / }).first();
  await card.getByRole('progressbar').filter({ hasText: `${instances} / ${instances} ready` }).waitFor({ timeout: timeoutMs });
  await card.scrollIntoViewIfNeeded({ timeout: timeoutMs });
  return { tiles: await card.locator('[data-instance-id]').count(), domContentLoadedMs };
}

/** Changes the time scale through the page's own control and waits (bounded) for the fabric's clock event. */
export async function setScaleFromPage(page, watcher, scale, timeoutMs = 90_000) {
  const t0 = Date.now();
  await page.getByLabel('Time scale').selectOption(String(scale), { timeout: timeoutMs });
  while (watcher.clockScale !== scale) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`the fabric did not confirm the ${scale}x clock within ${timeoutMs / 1000} s`);
    await page.waitForTimeout(100);
  }
  return { confirmedMs: Date.now() - t0 };
}

/** requestAnimationFrame intervals for `seconds`, with DOM mutation bursts of the FD x UD map (redraws). */
export async function sampleFrames(page, seconds = 10) {
  return page.evaluate(async (ms) => {
    const deltas = [];
    let mapRedraws = 0;
    // Mutations of the map more than 50 ms apart count as separate redraws.
    const map = document.querySelector('[aria-label="Fault domain by upgrade domain map"]');
    let lastMutation = 0;
    const observer = new MutationObserver(() => {
      const now = performance.now();
      if (now - lastMutation > 50) mapRedraws++;
      lastMutation = now;
    });
    if (map) observer.observe(map, { subtree: true, attributes: true, childList: true, characterData: true });
    const start = performance.now();
    await new Promise((resolve) => {
      let last = start;
      const end = start + ms;
      // Bounded even if rAF stops firing (a hidden or hung page): give up 30 s past the window.
      const guard = setTimeout(resolve, ms + 30_000);
      const tick = (now) => {
        deltas.push(now - last);
        last = now;
        if (now < end) requestAnimationFrame(tick);
        else clearTimeout(guard), resolve();
      };
      requestAnimationFrame(tick);
    });
    observer.disconnect();
    const wallMs = performance.now() - start;
    deltas.sort((a, b) => a - b);
    const at = (p) => deltas[Math.min(deltas.length - 1, Math.floor((p / 100) * deltas.length))];
    return { frames: deltas.length, wallMs, p50Ms: at(50), p95Ms: at(95), p99Ms: at(99), maxMs: deltas.at(-1), mapRedraws, droppedShare: deltas.filter((d) => d > 20).length / Math.max(1, deltas.length) };
  }, seconds * 1000);
}

/**
 * A CPU profile of the page's main thread for `seconds` (Chromium's Profiler over a CDP session): the
 * functions with the most self time, so a slow frame can be pinned on script, GC, or layout/paint
 * ("(program)" is the engine's own work outside JS: style, layout, paint, parsing).
 */
export async function profileRenderer(page, seconds = 5, top = 15) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
    await cdp.send('Profiler.start');
    await page.waitForTimeout(seconds * 1000);
    const { profile } = await cdp.send('Profiler.stop');
    const selfUs = new Map();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const dt = profile.timeDeltas ?? [];
    profile.samples.forEach((id, i) => {
      const node = byId.get(id);
      const f = node.callFrame;
      const file = f.url ? f.url.replace(/^.*\//, '').replace(/\?.*$/, '') : '';
      const key = `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
      selfUs.set(key, (selfUs.get(key) ?? 0) + (dt[i + 1] ?? 0));
    });
    const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
    const idleUs = selfUs.get('(idle)') ?? 0;
    return {
      seconds,
      busyShare: totalUs ? (totalUs - idleUs) / totalUs : null,
      topSelf: [...selfUs.entries()]
        .filter(([k]) => k !== '(idle)')
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([fn, us]) => ({ fn, ms: Math.round(us / 1000), share: totalUs ? +(us / totalUs).toFixed(3) : null })),
    };
  } finally {
    await cdp.detach().catch(() => {});
  }
}
