import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, screen, type BrowserWindow, type Rectangle } from 'electron';

/** Remembers the main window's size and position across launches (userData/window-state.json). */
const file = (): string => join(app.getPath('userData'), 'window-state.json');

export interface WindowState {
  bounds: Rectangle;
  maximized: boolean;
}

export function loadWindowState(): WindowState {
  const fallback: WindowState = { bounds: { x: 0, y: 0, width: 1280, height: 820 }, maximized: false };
  try {
    const saved = JSON.parse(readFileSync(file(), 'utf8')) as WindowState;
    // Only restore a position that is still on a connected display.
    const visible = screen.getAllDisplays().some((display) => {
      const area = display.workArea;
      return (
        saved.bounds.x >= area.x - 50 &&
        saved.bounds.y >= area.y - 50 &&
        saved.bounds.x < area.x + area.width &&
        saved.bounds.y < area.y + area.height
      );
    });
    return visible
      ? saved
      : {
          ...fallback,
          bounds: { ...fallback.bounds, width: saved.bounds.width, height: saved.bounds.height },
        };
  } catch {
    return fallback;
  }
}

export function trackWindowState(window: BrowserWindow): void {
  const save = (): void => {
    const state: WindowState = { bounds: window.getNormalBounds(), maximized: window.isMaximized() };
    try {
      writeFileSync(file(), JSON.stringify(state));
    } catch {
      // Not being able to remember the window is not worth interrupting the user for.
    }
  };
  window.on('close', save);
}
