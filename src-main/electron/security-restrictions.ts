// Every lock on what web content may do, in one place (as Podman Desktop's security-restrictions.ts).
// main.ts calls applySecurityRestrictions before the first window exists, so no webContents escapes it.
import type { App, Session, WebContents } from 'electron';

/** The policy of the meta tag in src-renderer/index.html (a unit test keeps the two equal). */
export const pageContentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'none'";

/** Sent as a header: the page's policy plus frame-ancestors, which browsers obey only in a header. */
export const contentSecurityPolicy = `${pageContentSecurityPolicy}; frame-ancestors 'none'`;

export function applySecurityRestrictions(app: App, isAppUrl: (url: string) => boolean): void {
  // Every renderer sandboxed, even one a future change forgets to configure.
  app.enableSandbox();
  app.on('web-contents-created', (_event, contents) => {
    lockDownWebContents(contents, isAppUrl);
    lockDownSession(contents.session);
  });
}

export function lockDownWebContents(contents: WebContents, isAppUrl: (url: string) => boolean): void {
  // The window only ever shows the app; a link or a script cannot take it (and the preload) elsewhere.
  const refuseForeign = (event: { url: string; preventDefault(): void }): void => {
    if (!isAppUrl(event.url)) event.preventDefault();
  };
  contents.on('will-navigate', refuseForeign);
  contents.on('will-frame-navigate', refuseForeign);
  contents.on('will-redirect', refuseForeign);
  // No new windows: they would be webContents this app does not wire or check.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

const lockedSessions = new WeakSet<Session>();

export function lockDownSession(session: Session): void {
  // Several webContents share a session; webRequest keeps one listener per event, so set it once.
  if (lockedSessions.has(session)) return;
  lockedSessions.add(session);
  // The fabric needs no camera, notifications, clipboard, USB...: refuse every request and every check.
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  // The header covers the dev server's pages; file:// pages rely on the same policy in the meta tag.
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy] } });
  });
}
