import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * Two projects: `node` runs every test but the renderer's under plain Node; `renderer` compiles
 * Svelte 5 rune modules (`*.svelte.ts`: classes with `$state` and `$derived` fields) with the
 * Svelte compiler for the browser, as the app's bundle does, so screen state is tested as it runs.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['src/**/__tests__/**/*.test.ts'],
          exclude: ['src/renderer/**'],
          environment: 'node',
        },
      },
      {
        extends: true,
        // Vitest transforms for Node (Svelte would compile for the server, where `$effect` never
        // runs): compile for the client, and resolve `svelte` to its client runtime.
        plugins: [svelte({ configFile: false, dynamicCompileOptions: () => ({ generate: 'client' }) })],
        resolve: { conditions: ['browser'] },
        ssr: { resolve: { conditions: ['browser'], externalConditions: ['browser'] } },
        test: {
          name: 'renderer',
          include: ['src/renderer/**/__tests__/**/*.test.ts'],
          environment: 'node',
        },
      },
    ],
  },
});
