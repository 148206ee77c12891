import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, type MenuItemConstructorOptions } from 'electron';
import { channelNames } from '../../shared/api/channels';
import { ENGINE_VERSION } from '../../shared/domain';
import { createServices, type Services } from '../services';
import { dispatch } from '../services/dispatch';
import { importDatasetFile } from '../services/datasets';
import { APP_VERSION } from '../services/version';
import { PRODUCT_NAME } from '../paths';
import { hardenSessions, isAppUrl } from './security';
import { loadWindowState, trackWindowState } from './window-state';

/**
 * The Electron shell: one window, menus, dialogs, IPC wiring and the security locks. Everything it
 * calls (services, workers, database) also runs under plain Node, where it is tested.
 */

const EVENT_CHANNEL = 'nmf:event';
const OPENABLE = ['tsv', 'csv', 'txt', 'gz', 'mtx', 'npy', 'h5ad', 'h5'];

export function runDesktopApp(mainDir: string): void {
  app.setName(PRODUCT_NAME);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const rendererIndex = join(mainDir, '..', 'renderer', 'index.html');
  const rendererUrl = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(rendererIndex).href;
  hardenSessions(rendererUrl);

  let services: Services | null = null;
  let window: BrowserWindow | null = null;
  const pendingFiles: string[] = [];
  let quitting = false;

  const fileArguments = (argv: string[]): string[] =>
    argv
      .slice(1)
      .filter((arg) => !arg.startsWith('-') && OPENABLE.some((ext) => arg.toLowerCase().endsWith('.' + ext)));

  async function openFile(path: string): Promise<void> {
    if (!services) {
      pendingFiles.push(path);
      return;
    }
    app.addRecentDocument(path);
    try {
      const { dataset, existing } = await importDatasetFile(services.ctx, path, {
        transpose: false,
        header: true,
        rowNames: true,
        transform: 'none',
      });
      window?.webContents.send(EVENT_CHANNEL, {
        event: 'library:changed',
        payload: { what: 'datasets', id: dataset.id },
      });
      if (existing) void dialog.showMessageBox({ message: `${dataset.name} is already in the library.` });
    } catch (error) {
      dialog.showErrorBox(
        'The file could not be imported',
        error instanceof Error ? error.message : String(error),
      );
    }
  }

  function createWindow(): void {
    const state = loadWindowState();
    window = new BrowserWindow({
      ...state.bounds,
      minWidth: 1024,
      minHeight: 700,
      show: false,
      title: PRODUCT_NAME,
      webPreferences: {
        preload: join(mainDir, '..', 'preload', 'index.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        spellcheck: false,
      },
    });
    if (state.maximized) window.maximize();
    trackWindowState(window);
    window.once('ready-to-show', () => window?.show());
    void window.loadURL(rendererUrl);
    window.on('close', (event) => {
      if (quitting || !services || services.ctx.jobs.list().length === 0) return;
      const answer = dialog.showMessageBoxSync(window!, {
        type: 'question',
        buttons: ['Quit and stop the jobs', 'Keep working'],
        defaultId: 1,
        cancelId: 1,
        message: `${services.ctx.jobs.list().length} job(s) are still running.`,
        detail:
          'Quitting stops them; their runs are kept and marked interrupted, so they can be re-run later.',
      });
      if (answer === 1) event.preventDefault();
      else quitting = true;
    });
    window.on('closed', () => (window = null));
  }

  function buildMenu(): void {
    const isMac = process.platform === 'darwin';
    const template: MenuItemConstructorOptions[] = [
      ...(isMac ? [{ role: 'appMenu' as const }] : []),
      {
        label: 'File',
        submenu: [
          {
            label: 'Open Data…',
            accelerator: 'CmdOrCtrl+O',
            click: async () => {
              const result = await dialog.showOpenDialog({
                properties: ['openFile'],
                filters: [{ name: 'Matrices', extensions: OPENABLE }],
              });
              if (!result.canceled && result.filePaths[0]) await openFile(result.filePaths[0]);
            },
          },
          {
            role: 'recentDocuments',
            submenu: [{ role: 'clearRecentDocuments' }],
          } as MenuItemConstructorOptions,
          { type: 'separator' },
          isMac ? { role: 'close' } : { role: 'quit' },
        ],
      },
      { role: 'editMenu' },
      { role: 'viewMenu' },
      { role: 'windowMenu' },
      {
        role: 'help',
        submenu: [
          {
            label: `About ${PRODUCT_NAME}`,
            click: () =>
              void dialog.showMessageBox({
                title: `About ${PRODUCT_NAME}`,
                message: `${PRODUCT_NAME} ${APP_VERSION}`,
                detail: [
                  `Engine ${ENGINE_VERSION}`,
                  `Electron ${process.versions.electron}`,
                  `Node ${process.versions.node}`,
                  `Chromium ${process.versions.chrome}`,
                  `Library: ${services?.ctx.app.libraryPath ?? ''}`,
                ].join('\n'),
              }),
          },
        ],
      },
    ];
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  }

  app.on('open-file', (event, path) => {
    event.preventDefault();
    void openFile(path);
  });
  app.on('second-instance', (_event, argv) => {
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
    for (const file of fileArguments(argv)) void openFile(file);
  });

  void app.whenReady().then(() => {
    services = createServices({
      // NMF_STUDIO_DB points the app at another library (tests; several libraries side by side).
      libraryPath: process.env.NMF_STUDIO_DB || join(app.getPath('userData'), 'library.sqlite'),
      workerPath: join(mainDir, 'nmf.worker.js'),
      mode: 'electron',
      versions: { electron: process.versions.electron, chrome: process.versions.chrome },
    });
    const active = services;
    for (const channel of channelNames) {
      ipcMain.handle(channel, async (event, payload: unknown) => {
        // Exact comparison of the calling frame's URL (VS Code's validatedIpcMain).
        const frameUrl = event.senderFrame?.url ?? '';
        if (!isAppUrl(frameUrl, rendererUrl)) {
          return { ok: false, error: { code: 'unauthorized', message: `refused IPC from ${frameUrl}` } };
        }
        return dispatch(active.handlers, channel, payload);
      });
    }
    active.ctx.events.subscribe((event, payload) => {
      for (const win of BrowserWindow.getAllWindows())
        win.webContents.send(EVENT_CHANNEL, { event, payload });
    });
    buildMenu();
    createWindow();
    for (const file of [...pendingFiles.splice(0), ...fileArguments(process.argv)]) void openFile(file);
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0 && services) createWindow();
  });
  app.on('will-quit', (event) => {
    if (!services) return;
    event.preventDefault();
    const closing = services;
    services = null;
    void closing.close().finally(() => app.exit(0));
  });
}
