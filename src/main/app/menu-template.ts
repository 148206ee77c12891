// A type-only import: erased at build time, so this module loads (and is tested) without Electron.
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openData(): void;
  openRecent(path: string): void;
  clearRecent(): void;
  showDocumentation(): void;
  showAbout(): void;
}

export interface MenuOptions {
  platform: NodeJS.Platform;
  /** Development build (not packaged): adds reload and the developer tools. */
  development: boolean;
  productName: string;
  /** The app's own recent-files list, shown on Linux and Windows. */
  recentFiles: readonly string[];
}

/**
 * The application menu. Roles are used wherever Electron has one, because roles carry each OS's
 * labels and shortcuts: Quit is Cmd+Q on macOS and Ctrl+Q on Linux, and Windows has no Quit
 * shortcut (Alt+F4 closes the window, which quits); Close Window is Cmd+W on macOS.
 * Open Recent is macOS's own list there (the `recentDocuments` role works only on macOS) and the
 * app's list elsewhere. Reload and the developer tools exist only in development.
 */
export function buildMenuTemplate(options: MenuOptions, actions: MenuActions): MenuItemConstructorOptions[] {
  const isMac = options.platform === 'darwin';
  const about: MenuItemConstructorOptions = {
    label: `About ${options.productName}`,
    click: () => actions.showAbout(),
  };

  const openRecent: MenuItemConstructorOptions = isMac
    ? { label: 'Open Recent', role: 'recentDocuments', submenu: [{ role: 'clearRecentDocuments' }] }
    : {
        label: 'Open Recent',
        submenu:
          options.recentFiles.length === 0
            ? [{ label: 'No Recent Files', enabled: false }]
            : [
                ...options.recentFiles.map((path): MenuItemConstructorOptions => ({
                  label: path,
                  click: () => actions.openRecent(path),
                })),
                { type: 'separator' },
                { label: 'Clear Recently Opened', click: () => actions.clearRecent() },
              ],
      };

  const view: MenuItemConstructorOptions[] = [
    ...(options.development
      ? ([
          { role: 'reload' },
          { role: 'forceReload' },
          { role: 'toggleDevTools' },
          { type: 'separator' },
        ] satisfies MenuItemConstructorOptions[])
      : []),
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];

  return [
    ...(isMac
      ? [
          {
            label: options.productName,
            submenu: [
              about,
              { type: 'separator' },
              { role: 'services' },
              { type: 'separator' },
              { role: 'hide' },
              { role: 'hideOthers' },
              { role: 'unhide' },
              { type: 'separator' },
              { role: 'quit' },
            ],
          } satisfies MenuItemConstructorOptions,
        ]
      : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Data…', accelerator: 'CmdOrCtrl+O', click: () => actions.openData() },
        openRecent,
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: 'Documentation', click: () => actions.showDocumentation() },
        ...(isMac ? [] : [{ type: 'separator' } satisfies MenuItemConstructorOptions, about]),
      ],
    },
  ];
}
