/** One modal confirmation at a time, answered by the dialog in App.svelte. */

export interface Pending {
  title: string;
  message: string;
  confirmLabel: string;
  resolve: (ok: boolean) => void;
}

export const confirmation: { pending: Pending | null } = $state({ pending: null });

export function confirmAction(title: string, message: string, confirmLabel = 'Delete'): Promise<boolean> {
  confirmation.pending?.resolve(false);
  return new Promise((resolve) => {
    confirmation.pending = { title, message, confirmLabel, resolve };
  });
}

export function answer(ok: boolean): void {
  const pending = confirmation.pending;
  confirmation.pending = null;
  pending?.resolve(ok);
}
