import { describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW_STATE, MIN_HEIGHT, MIN_WIDTH, restoreWindowState } from '../window-bounds';

const laptop = { x: 0, y: 0, width: 1440, height: 877 };
const external = { x: 1440, y: 0, width: 2560, height: 1415 };

describe('restoreWindowState', () => {
  it('restores a position and size that are on a connected display', () => {
    const saved = { bounds: { x: 1600, y: 100, width: 1400, height: 900 }, maximized: true };
    expect(restoreWindowState(saved, [laptop, external])).toEqual(saved);
  });

  it('drops the position when its display is gone, keeping the size (limited to the largest display)', () => {
    const saved = { bounds: { x: 1600, y: 100, width: 2000, height: 1200 }, maximized: false };
    expect(restoreWindowState(saved, [laptop])).toEqual({
      bounds: { width: 1440, height: 877 },
      maximized: false,
    });
  });

  it('refuses a title bar above or below every display', () => {
    expect(
      restoreWindowState({ bounds: { x: 10, y: -300, width: 1100, height: 800 } }, [laptop]).bounds,
    ).toEqual({ width: 1100, height: 800 });
    expect(
      restoreWindowState({ bounds: { x: 10, y: 850, width: 1100, height: 800 } }, [laptop]).bounds.x,
    ).toBe(undefined);
  });

  it('never restores a window smaller than the minimum', () => {
    const state = restoreWindowState({ bounds: { x: 1500, y: 10, width: 200, height: 100 } }, [external]);
    expect(state.bounds).toEqual({ x: 1500, y: 10, width: MIN_WIDTH, height: MIN_HEIGHT });
  });

  it('gives the default for anything unreadable', () => {
    for (const saved of [
      null,
      'x',
      42,
      {},
      { bounds: { x: 0, y: 0, width: 'wide', height: 800 } },
      { bounds: null },
    ])
      expect(restoreWindowState(saved, [laptop])).toEqual(DEFAULT_WINDOW_STATE);
    expect(
      restoreWindowState({ bounds: { x: Number.NaN, y: 0, width: 1200, height: 800 } }, [laptop]),
    ).toEqual(DEFAULT_WINDOW_STATE);
  });
});
