import { call } from '../api';
import { confirmAction } from '../confirm.svelte';
import { navigate } from '../router.svelte';
import { notify } from '../toasts.svelte';
import type { ScreenPorts } from './ports';

/** The window's API client, notices, confirmation dialog and router, for the screens' state objects. */
export const livePorts: ScreenPorts = {
  call,
  notify,
  confirm: (title, message) => confirmAction(title, message),
  navigate,
};
