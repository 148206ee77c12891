/** A rectangle in screen coordinates (Electron's `Rectangle`). */
export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Without a position the window is centred on the primary display. */
export interface WindowState {
  bounds: { x?: number; y?: number; width: number; height: number };
  maximized: boolean;
}

export const DEFAULT_WINDOW_STATE: WindowState = {
  bounds: { width: 1280, height: 820 },
  maximized: false,
};

/** The smallest window the screens are laid out for (also the BrowserWindow's minimum). */
export const MIN_WIDTH = 1024;
export const MIN_HEIGHT = 700;

function isBounds(value: unknown): value is Bounds {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['x', 'y', 'width', 'height'].every(
    (key) => typeof record[key] === 'number' && Number.isFinite(record[key]),
  );
}

/**
 * What to restore from a saved state (`saved`, parsed JSON of any shape) given the work areas of the
 * connected displays. A position is kept only if the window's title bar would land on a display
 * (a monitor may have been unplugged since); the size is kept but never below the minimum nor
 * beyond the largest display. Anything unreadable gives the default.
 */
export function restoreWindowState(saved: unknown, workAreas: readonly Bounds[]): WindowState {
  if (typeof saved !== 'object' || saved === null) return DEFAULT_WINDOW_STATE;
  const record = saved as Record<string, unknown>;
  if (!isBounds(record.bounds)) return DEFAULT_WINDOW_STATE;
  const maximized = record.maximized === true;
  const maxWidth = Math.max(MIN_WIDTH, ...workAreas.map((area) => area.width));
  const maxHeight = Math.max(MIN_HEIGHT, ...workAreas.map((area) => area.height));
  const width = Math.round(Math.min(Math.max(record.bounds.width, MIN_WIDTH), maxWidth));
  const height = Math.round(Math.min(Math.max(record.bounds.height, MIN_HEIGHT), maxHeight));
  const { x, y } = record.bounds;
  // The top strip of the window (where it is dragged from) must intersect a display.
  const reachable = workAreas.some(
    (area) =>
      x + width > area.x + 50 && x < area.x + area.width - 50 && y >= area.y && y < area.y + area.height - 50,
  );
  if (!reachable) return { bounds: { width, height }, maximized };
  return { bounds: { x: Math.round(x), y: Math.round(y), width, height }, maximized };
}
