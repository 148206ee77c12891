import type { Channel, RequestOf, ResponseOf, Result } from '../../../../shared/api';
import type { Toast } from '../toasts.svelte';

/**
 * What a screen's state object needs from the window: the API, notices, the confirmation dialog and
 * navigation. The screens pass the live ones (`live-ports.ts`); tests pass fakes, so the screen
 * logic runs under Node without a window, a transport or a router.
 */
export interface ScreenPorts {
  call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>>;
  notify(message: string, options?: { kind?: Toast['kind']; action?: Toast['action'] }): void;
  confirm(title: string, message: string): Promise<boolean>;
  navigate(path: string): void;
}
