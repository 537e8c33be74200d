// The renderer's frame times, measured inside the page: requestAnimationFrame deltas while the fabric
// pushes batches of live instance updates. The deployment card (with its FD x UD map of every instance)
// is scrolled into view so its tiles are on screen and redrawn.
export async function measureFrames(page, url, instances, seconds = 10) {
  await page.goto(url);
  const card = page.getByRole('article', { name: /^Deployment / }).first();
  await card.getByRole('progressbar').filter({ hasText: `${instances} / ${instances} ready` }).waitFor({ timeout: 120_000 });
  await card.scrollIntoViewIfNeeded();
  const tiles = await card.locator('[data-instance-id]').count();
  const result = await page.evaluate(async (ms) => {
    const deltas = [];
    let batches = 0;
    // Count DOM mutations of the map as the sign that a batch was applied.
    const map = document.querySelector('[aria-label="Fault domain by upgrade domain map"]');
    let lastMutation = 0;
    const observer = new MutationObserver(() => {
      const now = performance.now();
      if (now - lastMutation > 50) batches++;
      lastMutation = now;
    });
    if (map) observer.observe(map, { subtree: true, attributes: true, childList: true, characterData: true });
    await new Promise((resolve) => {
      let last = performance.now();
      const end = last + ms;
      const tick = (now) => {
        deltas.push(now - last);
        last = now;
        if (now < end) requestAnimationFrame(tick);
        else resolve();
      };
      requestAnimationFrame(tick);
    });
    observer.disconnect();
    deltas.sort((a, b) => a - b);
    const at = (p) => deltas[Math.min(deltas.length - 1, Math.floor((p / 100) * deltas.length))];
    return { frames: deltas.length, p50Ms: at(50), p95Ms: at(95), p99Ms: at(99), maxMs: deltas.at(-1), batches };
  }, seconds * 1000);
  return { tiles, ...result };
}
