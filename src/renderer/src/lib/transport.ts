import type {
  ApiClient,
  Channel,
  EventMap,
  EventName,
  PreloadBridge,
  RequestOf,
  ResponseOf,
  Result,
} from '../../../shared/api';
import { decodeFrame, encodeFrame } from '../../../shared/api/codec';
import { eventNames } from '../../../shared/api/names';

/**
 * The renderer's one way to reach the main process. In the desktop window the preload exposes
 * `window.nmfStudio` (named methods over IPC); in browser mode the same calls go over HTTP to the
 * loopback server, with the access token from the URL, and events arrive as server-sent events.
 */

declare global {
  interface Window {
    nmfStudio?: PreloadBridge;
  }
}

type Listener = (payload: unknown) => void;

class Listeners {
  private readonly byEvent = new Map<EventName, Set<Listener>>();
  add(event: EventName, listener: Listener): () => void {
    let set = this.byEvent.get(event);
    if (!set) this.byEvent.set(event, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }
  emit(event: EventName, payload: unknown): void {
    for (const listener of this.byEvent.get(event) ?? []) listener(payload);
  }
}

function ipcClient(bridge: PreloadBridge): ApiClient {
  const listeners = new Listeners();
  bridge.onEvent((event, payload) => listeners.emit(event, payload));
  return {
    call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>> {
      const method = bridge[channel] as (request: RequestOf<C>) => Promise<Result<ResponseOf<C>>>;
      return method(request);
    },
    on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void {
      return listeners.add(event, listener as Listener);
    },
  };
}

const TOKEN_KEY = 'nmf-studio-token';

/** Takes the token from `?token=` once, keeps it for this tab, and removes it from the address bar. */
export function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

function httpClient(token: string): ApiClient {
  const listeners = new Listeners();
  const source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
  for (const name of eventNames) {
    source.addEventListener(name, (event) =>
      listeners.emit(name, JSON.parse((event as MessageEvent<string>).data)),
    );
  }
  return {
    async call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>> {
      let response: Response;
      try {
        response = await fetch(`/api/${channel}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-nmf-frame' },
          body: encodeFrame(request) as BodyInit,
        });
      } catch (error) {
        return {
          ok: false,
          error: { code: 'unavailable', message: `cannot reach NMF Studio: ${String(error)}` },
        };
      }
      const contentType = response.headers.get('content-type') ?? '';
      if (!contentType.startsWith('application/x-nmf-frame')) {
        const text = await response.text();
        return {
          ok: false,
          error: {
            code: response.status === 401 || response.status === 403 ? 'unauthorized' : 'internal',
            message: text || response.statusText,
          },
        };
      }
      return decodeFrame(new Uint8Array(await response.arrayBuffer())) as Result<ResponseOf<C>>;
    },
    on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void {
      return listeners.add(event, listener as Listener);
    },
  };
}

/** The client for this window: IPC in Electron, HTTP in a browser. */
export function createClient(): ApiClient {
  return window.nmfStudio ? ipcClient(window.nmfStudio) : httpClient(takeToken());
}

/** Which transport `createClient` picks here. */
export function transportKind(): 'electron' | 'browser' {
  return window.nmfStudio ? 'electron' : 'browser';
}
