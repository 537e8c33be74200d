// A dialog that behaves as one for the keyboard (WAI-ARIA's dialog pattern): focus moves into it when it
// opens, Tab and Shift+Tab cycle inside it, Escape closes it, and focus returns to what opened it.
// Used as a Svelte action: <div role="dialog" aria-modal="true" tabindex="-1" use:modalDialog={onclose}>.

const focusable = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function modalDialog(node: HTMLElement, onclose: () => void): { update(next: () => void): void; destroy(): void } {
  let close = onclose;
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const items = () => [...node.querySelectorAll<HTMLElement>(focusable)].filter((el) => el.getClientRects().length > 0);
  // After the dialog's content has rendered: its first control, or the dialog itself.
  queueMicrotask(() => (items()[0] ?? node).focus());

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close();
      return;
    }
    if (event.key !== 'Tab') return;
    const list = items();
    const first = list[0];
    const last = list.at(-1);
    if (!first || !last) return void event.preventDefault();
    if (event.shiftKey && (document.activeElement === first || document.activeElement === node)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };
  // Focus that leaves by other means (a click on the page behind) is brought back.
  const onFocusIn = (event: FocusEvent) => {
    if (event.target instanceof Node && !node.contains(event.target)) (items()[0] ?? node).focus();
  };
  node.addEventListener('keydown', onKeyDown);
  document.addEventListener('focusin', onFocusIn);
  return {
    update(next) {
      close = next;
    },
    destroy() {
      node.removeEventListener('keydown', onKeyDown);
      document.removeEventListener('focusin', onFocusIn);
      if (opener?.isConnected) opener.focus();
    },
  };
}
