import { app, session, shell, type WebContents } from 'electron';
import { isAppUrl } from './app-url';

/**
 * Electron hardening, following Electron's security checklist and VS Code: no navigation away from
 * the app, no new windows (https links open in the system browser), every permission request
 * denied, and IPC accepted only from the app's own page, compared exactly.
 */

export { isAppUrl };

export function hardenSessions(rendererIndexUrl: string): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (navigation) => {
      if (!isAppUrl(navigation.url, rendererIndexUrl)) navigation.preventDefault();
    });
    contents.on('will-attach-webview', (attach) => attach.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
  app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
  });
}
