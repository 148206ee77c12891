/** Short notices at the bottom of the window, optionally with one action (e.g. Undo). */

export interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
  action?: { label: string; run: () => void | Promise<void> };
}

export const toasts: { list: Toast[] } = $state({ list: [] });
let nextId = 1;

export function dismiss(id: number): void {
  toasts.list = toasts.list.filter((t) => t.id !== id);
}

export function notify(
  message: string,
  options: { kind?: Toast['kind']; action?: Toast['action']; ms?: number } = {},
): void {
  const toast: Toast = { id: nextId++, message, kind: options.kind ?? 'info', action: options.action };
  toasts.list = [...toasts.list, toast];
  // Undo stays long enough to be found with the keyboard.
  setTimeout(() => dismiss(toast.id), options.ms ?? (options.action ? 12_000 : 5_000));
}
