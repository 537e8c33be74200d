// Where the user is, kept in the URL's hash so a reload (or a link) opens the same view: the selected
// instance and the panel open over the page. Instance ids hold "/" and "(", so values are URI-encoded.

export type ViewPanel = 'logs' | 'events' | 'settings';
const panels: readonly ViewPanel[] = ['logs', 'events', 'settings'];

export interface DashboardView {
  instanceId: string | null;
  panel: ViewPanel | null;
}

/** "#instance=deployment1(1)%2FWorkerRole1_IN_0&panel=logs" -> the view; anything unknown is ignored. */
export function parseViewHash(hash: string): DashboardView {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const instanceId = params.get('instance') || null;
  const panel = params.get('panel') as ViewPanel | null;
  const known = panel !== null && panels.includes(panel) ? panel : null;
  // The logs and events panels are an instance's: without one there is nothing to show them for.
  return { instanceId, panel: known === 'settings' || instanceId ? known : null };
}

export function formatViewHash(view: DashboardView): string {
  const params = new URLSearchParams();
  if (view.instanceId) params.set('instance', view.instanceId);
  if (view.panel && (view.panel === 'settings' || view.instanceId)) params.set('panel', view.panel);
  const text = params.toString();
  return text ? `#${text}` : '';
}
