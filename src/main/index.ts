import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDesktopApp } from './app/main';

// The Electron entry (package.json "main": out/main/index.js). The bundle sits beside nmf.worker.js.
runDesktopApp(dirname(fileURLToPath(import.meta.url)));
