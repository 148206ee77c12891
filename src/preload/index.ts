import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { EventName } from '../shared/api/channels';
import { channelNames } from '../shared/api/names';
import type { PreloadBridge } from '../shared/api/client';

/**
 * Sandboxed preload: exposes one named method per API channel on `window.nmfStudio`, plus an event
 * subscription — never `ipcRenderer` itself. Channel names come from the shared contract, so the
 * renderer can reach nothing else.
 */
const EVENT_CHANNEL = 'nmf:event';

const methods: Record<string, (request: unknown) => Promise<unknown>> = {};
for (const channel of channelNames) {
  methods[channel] = (request: unknown) => ipcRenderer.invoke(channel, request);
}

const bridge = {
  ...methods,
  onEvent(listener: (event: EventName, payload: unknown) => void): () => void {
    const handler = (_event: IpcRendererEvent, message: { event: EventName; payload: unknown }): void =>
      listener(message.event, message.payload);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
} as unknown as PreloadBridge;

contextBridge.exposeInMainWorld('nmfStudio', bridge);
