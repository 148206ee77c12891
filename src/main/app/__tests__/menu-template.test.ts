import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { buildMenuTemplate, type MenuOptions } from '../menu-template';

const actions = () => ({
  openData: vi.fn(),
  openRecent: vi.fn(),
  clearRecent: vi.fn(),
  showDocumentation: vi.fn(),
  showAbout: vi.fn(),
});

const options = (overrides: Partial<MenuOptions>): MenuOptions => ({
  platform: 'linux',
  development: false,
  productName: 'NMF Studio',
  recentFiles: [],
  ...overrides,
});

function submenu(item: MenuItemConstructorOptions | undefined): MenuItemConstructorOptions[] {
  const items = item?.submenu;
  if (!Array.isArray(items)) throw new Error(`no submenu in ${item?.label ?? item?.role}`);
  return items;
}

const byLabel = (items: MenuItemConstructorOptions[], label: string) =>
  items.find((item) => item.label === label);
const roles = (items: MenuItemConstructorOptions[]) =>
  items.map((item) => item.role ?? item.label ?? item.type);

describe('buildMenuTemplate', () => {
  it('Linux/Windows: File has Open Data (Ctrl+O), the app’s recent list and Quit; Help has About', () => {
    const a = actions();
    const menu = buildMenuTemplate(options({ recentFiles: ['/d/a.tsv', '/d/b.mtx'] }), a);
    expect(roles(menu)).toEqual(['File', 'editMenu', 'View', 'windowMenu', 'help']);
    const file = submenu(byLabel(menu, 'File'));
    expect(file[0]).toMatchObject({ label: 'Open Data…', accelerator: 'CmdOrCtrl+O' });
    file[0].click?.({} as never, undefined, {} as never);
    expect(a.openData).toHaveBeenCalledOnce();
    const recent = submenu(byLabel(file, 'Open Recent'));
    expect(recent.map((item) => item.label ?? item.type)).toEqual([
      '/d/a.tsv',
      '/d/b.mtx',
      'separator',
      'Clear Recently Opened',
    ]);
    recent[1].click?.({} as never, undefined, {} as never);
    expect(a.openRecent).toHaveBeenCalledWith('/d/b.mtx');
    recent[3].click?.({} as never, undefined, {} as never);
    expect(a.clearRecent).toHaveBeenCalledOnce();
    expect(file.at(-1)).toEqual({ role: 'quit' });
    const help = submenu(menu.at(-1));
    expect(help.map((item) => item.label ?? item.type)).toEqual([
      'Documentation',
      'separator',
      'About NMF Studio',
    ]);
    help[2].click?.({} as never, undefined, {} as never);
    expect(a.showAbout).toHaveBeenCalledOnce();
  });

  it('shows an empty recent list as a disabled item', () => {
    const file = submenu(buildMenuTemplate(options({ platform: 'win32' }), actions())[0]);
    expect(submenu(byLabel(file, 'Open Recent'))).toEqual([{ label: 'No Recent Files', enabled: false }]);
  });

  it('macOS: the app menu carries About and Quit (Cmd+Q), File closes the window, Open Recent is the OS list', () => {
    const menu = buildMenuTemplate(options({ platform: 'darwin', recentFiles: ['/ignored.tsv'] }), actions());
    expect(menu[0].label).toBe('NMF Studio');
    const appMenu = submenu(menu[0]);
    expect(appMenu[0].label).toBe('About NMF Studio');
    expect(appMenu.at(-1)).toEqual({ role: 'quit' });
    const file = submenu(menu[1]);
    expect(byLabel(file, 'Open Recent')).toMatchObject({ role: 'recentDocuments' });
    expect(file.at(-1)).toEqual({ role: 'close' });
    expect(submenu(menu.at(-1)).map((item) => item.label)).toEqual(['Documentation']);
  });

  it('offers reload and developer tools only in development', () => {
    const view = (development: boolean) =>
      roles(submenu(byLabel(buildMenuTemplate(options({ development }), actions()), 'View')));
    expect(view(false)).toEqual(['resetZoom', 'zoomIn', 'zoomOut', 'separator', 'togglefullscreen']);
    expect(view(true)).toEqual([
      'reload',
      'forceReload',
      'toggleDevTools',
      'separator',
      'resetZoom',
      'zoomIn',
      'zoomOut',
      'separator',
      'togglefullscreen',
    ]);
  });
});
