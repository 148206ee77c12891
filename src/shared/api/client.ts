import type { Channel, EventMap, EventName, RequestOf, ResponseOf } from './channels';
import type { Result } from './result';

/**
 * What the renderer programs against, whichever transport carries it (Electron IPC through the
 * preload, or HTTP + server-sent events in browser mode).
 */
export interface ApiClient {
  call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
}

/**
 * What the preload exposes on `window.nmfStudio`: one named method per channel (never ipcRenderer
 * itself) plus a subscription to pushed events.
 */
export type PreloadBridge = {
  [C in Channel]: (request: RequestOf<C>) => Promise<Result<ResponseOf<C>>>;
} & {
  onEvent(listener: (event: EventName, payload: unknown) => void): () => void;
};
