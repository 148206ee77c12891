import type { EventMap, EventName } from '../../shared/api';

export type EventListener = <E extends EventName>(event: E, payload: EventMap[E]) => void;

/** Fan-out of pushed events to every connected window (IPC) or browser tab (server-sent events). */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    for (const listener of this.listeners) {
      try {
        listener(event, payload);
      } catch {
        // One broken subscriber (a closed window or socket) must not stop the others.
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
