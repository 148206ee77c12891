import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, shell } from 'electron';
import { channelNames } from '../../shared/api/names';
import { ENGINE_VERSION } from '../../shared/domain';
import { createServices, type Services } from '../services';
import { dispatch } from '../services/dispatch';
import { importDatasetFile } from '../services/datasets';
import { closeAllUploads } from '../services/uploads';
import { cancelAllClusterExports } from '../services/cluster-export';
import { APP_VERSION } from '../services/version';
import { defaultLibraryPath, PRODUCT_NAME, userDataDir } from '../paths';
import { aboutText } from './about';
import { workerEntryPath } from './asar';
import { buildMenuTemplate } from './menu-template';
import { datasetPageUrl } from './navigation';
import { filesFromArgv, OPENABLE_EXTENSIONS } from './open-args';
import { RecentFiles } from './recent-files';
import { rendererUrlFor } from './app-url';
import { hardenSessions, isAppUrl } from './security';
import { MIN_HEIGHT, MIN_WIDTH } from './window-bounds';
import { loadWindowState, trackWindowState } from './window-state';

/**
 * The Electron shell: one window, menus, dialogs, IPC wiring and the security locks. Everything it
 * calls (services, workers, database) also runs under plain Node, where it is tested.
 */

const EVENT_CHANNEL = 'nmf:event';

export function runDesktopApp(mainDir: string): void {
  // The library must be where `nmf-studio --version` says it is. The command line runs without
  // Electron and computes the folder in src/main/paths.ts; Electron derives its own default from
  // package.json's productName. Rather than rely on the two rules agreeing, the app adopts the
  // command line's: the name and the userData path are set here, first, before anything (window
  // state, recent files, the library, Chromium's own storage) reads userData.
  app.setName(PRODUCT_NAME);
  app.setPath('userData', userDataDir());

  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const isMac = process.platform === 'darwin';
  const rendererIndex = join(mainDir, '..', 'renderer', 'index.html');
  const rendererUrl = rendererUrlFor({
    isPackaged: app.isPackaged,
    devServerUrl: process.env.ELECTRON_RENDERER_URL,
    rendererIndexPath: rendererIndex,
  });
  hardenSessions(rendererUrl);

  let services: Services | null = null;
  let window: BrowserWindow | null = null;
  const pendingFiles: string[] = [];
  const recentFiles = new RecentFiles(join(app.getPath('userData'), 'recent-files.json'));
  /** A quit is under way (menu, Cmd+Q, the OS); cleared if the user decides to keep working. */
  let quitRequested = false;
  /** The user has agreed to stop running jobs, or there were none. */
  let stopConfirmed = false;

  function rememberRecent(path: string): void {
    // macOS and Windows keep their own lists too (the Open Recent role, the taskbar jump list).
    if (isMac || process.platform === 'win32') app.addRecentDocument(path);
    recentFiles.add(path);
    buildMenu();
  }

  async function openFile(path: string): Promise<void> {
    if (!services) {
      pendingFiles.push(path);
      return;
    }
    if (!existsSync(path)) {
      recentFiles.remove(path);
      buildMenu();
      dialog.showErrorBox('The file could not be opened', `${path} does not exist (any more).`);
      return;
    }
    rememberRecent(path);
    try {
      const { dataset, existing } = await importDatasetFile(services.ctx, path, {
        transpose: false,
        header: true,
        rowNames: true,
        transform: 'none',
      });
      // The import itself announces `library:changed`; the window is then taken to the dataset.
      const target = window ?? createWindow();
      if (target.isMinimized()) target.restore();
      target.focus();
      void target.loadURL(datasetPageUrl(rendererUrl, dataset.id));
      if (existing)
        void dialog.showMessageBox(target, { message: `${dataset.name} is already in the library.` });
    } catch (error) {
      dialog.showErrorBox(
        'The file could not be imported',
        error instanceof Error ? error.message : String(error),
      );
    }
  }

  async function chooseAndOpen(): Promise<void> {
    const options: Electron.OpenDialogOptions = {
      properties: ['openFile'],
      filters: [
        { name: 'Matrices', extensions: [...OPENABLE_EXTENSIONS] },
        { name: 'All files', extensions: ['*'] },
      ],
    };
    const result = window
      ? await dialog.showOpenDialog(window, options)
      : await dialog.showOpenDialog(options);
    if (!result.canceled && result.filePaths[0]) await openFile(result.filePaths[0]);
  }

  /** Asks before running jobs are stopped. True when there are none or the user agrees. */
  function confirmStoppingJobs(parent: BrowserWindow | null): boolean {
    const running = services?.ctx.jobs.list().length ?? 0;
    if (running === 0) return true;
    const options: Electron.MessageBoxSyncOptions = {
      type: 'question',
      buttons: ['Quit and stop the jobs', 'Keep working'],
      defaultId: 1,
      cancelId: 1,
      message: `${running} job${running === 1 ? ' is' : 's are'} still running.`,
      detail:
        'Quitting stops them. Their runs stay in the library with the state they reached, and Re-run starts them again with the same parameters.',
    };
    const answer = parent ? dialog.showMessageBoxSync(parent, options) : dialog.showMessageBoxSync(options);
    return answer === 0;
  }

  function showAbout(): void {
    const { message, detail } = aboutText({
      productName: PRODUCT_NAME,
      appVersion: APP_VERSION,
      engineVersion: ENGINE_VERSION,
      versions: process.versions,
      libraryPath: services?.ctx.app.libraryPath ?? defaultLibraryPath(),
    });
    const options: Electron.MessageBoxOptions = {
      title: `About ${PRODUCT_NAME}`,
      message,
      detail,
      buttons: ['OK', 'Copy'],
      defaultId: 0,
      cancelId: 0,
    };
    void (window ? dialog.showMessageBox(window, options) : dialog.showMessageBox(options)).then(
      ({ response }) => {
        // The versions and the library path are what a bug report needs.
        if (response === 1) clipboard.writeText(`${message}\n${detail}`);
      },
    );
  }

  function showDocumentation(): void {
    // Packaged: README.md is copied beside app.asar (electron-builder.yml, extraResources), because
    // the system's viewer cannot read inside the archive. Development: the repository's copy.
    const guide = app.isPackaged
      ? join(process.resourcesPath, 'docs', 'README.md')
      : join(app.getAppPath(), 'README.md');
    void shell.openPath(guide).then((problem) => {
      if (problem) dialog.showErrorBox('The documentation could not be opened', `${guide}: ${problem}`);
    });
  }

  function buildMenu(): void {
    const template = buildMenuTemplate(
      {
        platform: process.platform,
        development: !app.isPackaged,
        productName: PRODUCT_NAME,
        recentFiles: recentFiles.list(),
      },
      {
        openData: () => void chooseAndOpen(),
        openRecent: (path) => void openFile(path),
        clearRecent: () => {
          recentFiles.clear();
          app.clearRecentDocuments();
          buildMenu();
        },
        showDocumentation,
        showAbout,
      },
    );
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  }

  function createWindow(): BrowserWindow {
    const state = loadWindowState();
    const created = new BrowserWindow({
      ...state.bounds,
      minWidth: MIN_WIDTH,
      minHeight: MIN_HEIGHT,
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
    window = created;
    if (state.maximized) created.maximize();
    trackWindowState(created);
    created.once('ready-to-show', () => created.show());
    void created.loadURL(rendererUrl);
    created.on('close', (event) => {
      if (stopConfirmed) return;
      // On macOS closing the window does not quit: jobs go on and the Dock icon brings it back.
      if (isMac && !quitRequested) return;
      if (confirmStoppingJobs(created)) {
        stopConfirmed = true;
      } else {
        event.preventDefault();
        quitRequested = false;
      }
    });
    created.on('closed', () => {
      if (window === created) window = null;
      // Files the window had staged in pieces for a preview or an import have no one to use them.
      if (services) void closeAllUploads(services.ctx).catch(() => undefined);
      // Nor have the job folders being made for it (each removes what it wrote).
      if (services) cancelAllClusterExports(services.ctx);
    });
    return created;
  }

  app.on('open-file', (event, path) => {
    // macOS: a file dropped on the Dock icon or opened from Finder, also before the app is ready.
    event.preventDefault();
    void openFile(path);
  });
  app.on('second-instance', (_event, argv, workingDirectory) => {
    // Windows and Linux: "Open with" starts a second process, which hands over its arguments.
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    } else if (services) {
      createWindow();
    }
    for (const file of filesFromArgv(argv, workingDirectory)) void openFile(file);
  });

  void app.whenReady().then(() => {
    services = createServices({
      // NMF_STUDIO_DB points the app at another library (tests; several libraries side by side).
      libraryPath: defaultLibraryPath(),
      workerPath: workerEntryPath(join(mainDir, 'nmf.worker.js'), existsSync),
      mode: 'electron',
      versions: { electron: process.versions.electron, chrome: process.versions.chrome },
    });
    // One worker ready before the first fit (the others start with the jobs that need them).
    services.ctx.pool.warm(1);
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
    for (const file of [...pendingFiles.splice(0), ...filesFromArgv(process.argv, process.cwd())])
      void openFile(file);
  });

  app.on('before-quit', (event) => {
    quitRequested = true;
    // With a window open, its close handler asks; without one (macOS), ask here.
    if (window || stopConfirmed) return;
    if (confirmStoppingJobs(null)) stopConfirmed = true;
    else {
      event.preventDefault();
      quitRequested = false;
    }
  });
  app.on('window-all-closed', () => {
    if (!isMac) app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0 && services) createWindow();
  });
  app.on('will-quit', (event) => {
    // Closing the services cancels the running jobs, stops the workers and marks anything still
    // queued or running as interrupted before the database is closed; the process exits once
    // that is written.
    if (!services) return;
    event.preventDefault();
    const closing = services;
    services = null;
    void closing.close().finally(() => app.exit(0));
  });
}
