import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * Three bundles, one per process:
 * - main: the Electron entry (`index`), the headless command line (`cli`) and the worker entries
 *   (`nmf.worker`, and `kernel-helper.worker`, the extra threads of one large fit). `cli` and the
 *   workers never import `electron`, so they run under plain Node.
 * - preload: CommonJS, because sandboxed preload scripts cannot be ES modules.
 * - renderer: the Svelte app, served by Electron from file:// or by the browser-mode server.
 */
export default defineConfig({
  main: {
    build: {
      // zod is bundled, not loaded from node_modules: its package is ~100 ES modules (every locale
      // among them), whose resolution and loading cost every CLI command and the app's start-up
      // 125–260 ms of CPU; bundled and tree-shaken it is ~170 kB of one chunk. The workers do not
      // use it.
      externalizeDeps: { exclude: ['zod'] },
      rollupOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          cli: resolve('src/main/cli/index.ts'),
          'nmf.worker': resolve('src/main/workers/nmf.worker.ts'),
          'kernel-helper.worker': resolve('src/main/workers/kernel-helper.worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload can require only `electron`: bundle everything else into it.
      externalizeDeps: { exclude: ['zod'] },
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    plugins: [svelte()],
    build: {
      rollupOptions: { input: { index: resolve('src/renderer/index.html') } },
    },
  },
});
