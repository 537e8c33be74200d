// Which Chromium the end-to-end tests drive, shared by playwright.config.ts and tests/run-all.mjs:
// PLAYWRIGHT_CHROMIUM_PATH if set; else Playwright's own where it is installed (an ordinary machine); else
// Debian's chromium (these machines cannot download Playwright's browsers); else none, and `npm test`
// installs Playwright's own.

/** Debian's and Ubuntu's names for the distribution's Chromium. */
export const systemChromiumPaths = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * @param {{ env: Record<string, string | undefined>, playwrightPath: string, exists: (path: string) => boolean }} where
 * @returns {{ kind: 'env' | 'playwright' | 'system', path: string } | null}
 */
export function findChromium({ env, playwrightPath, exists }) {
  if (env.PLAYWRIGHT_CHROMIUM_PATH) return { kind: 'env', path: env.PLAYWRIGHT_CHROMIUM_PATH };
  if (exists(playwrightPath)) return { kind: 'playwright', path: playwrightPath };
  const system = systemChromiumPaths.find((p) => exists(p));
  return system ? { kind: 'system', path: system } : null;
}

/**
 * Make sure the end-to-end tests have a Chromium: say which one they use, or install Playwright's own.
 * @param {{ found: { kind: string, path: string } | null, playwrightPath: string, log: (line: string) => void, install: () => boolean }} how
 * @returns {boolean} whether the end-to-end tests can run
 */
export function ensureChromium({ found, playwrightPath, log, install }) {
  if (found) {
    const which = found.kind === 'playwright' ? "Playwright's own Chromium" : found.kind === 'system' ? "the system's Chromium" : 'PLAYWRIGHT_CHROMIUM_PATH';
    log(`End-to-end tests use ${which}: ${found.path}`);
    return true;
  }
  log(`No Chromium found (not Playwright's at ${playwrightPath}, nor ${systemChromiumPaths.join(' or ')}): installing Playwright's own (npx playwright install chromium).`);
  if (install()) return true;
  log("Could not install Playwright's Chromium: install a Chromium or set PLAYWRIGHT_CHROMIUM_PATH to one, and run again.");
  return false;
}
