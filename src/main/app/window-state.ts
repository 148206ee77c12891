import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, screen, type BrowserWindow } from 'electron';
import { restoreWindowState, type WindowState } from './window-bounds';

/** Remembers the main window's size, position and maximized state across launches (userData/window-state.json). */
const file = (): string => join(app.getPath('userData'), 'window-state.json');

export function loadWindowState(): WindowState {
  let saved: unknown = null;
  try {
    saved = JSON.parse(readFileSync(file(), 'utf8'));
  } catch {
    // First launch, or a damaged file: the default size, centred.
  }
  return restoreWindowState(
    saved,
    screen.getAllDisplays().map((display) => display.workArea),
  );
}

export function trackWindowState(window: BrowserWindow): void {
  const save = (): void => {
    // The normal bounds, so a maximized window comes back maximized over its previous size.
    const state: WindowState = { bounds: window.getNormalBounds(), maximized: window.isMaximized() };
    try {
      writeFileSync(file(), JSON.stringify(state));
    } catch {
      // Not being able to remember the window is not worth interrupting the user for.
    }
  };
  window.on('close', save);
}
