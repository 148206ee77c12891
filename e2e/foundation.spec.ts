import { test } from '@playwright/test';
import { foundationFlow } from './flows';
import { startServer, stopAndRemove, type RunningServer } from './server';

/** The foundation's walk in browser mode, against the real server, workers and a temporary library. */
let server: RunningServer;
test.afterAll(() => stopAndRemove(server));

test('import, two fits with progress, cancel one, restart, both kept with their states', async ({
  page,
  context,
}) => {
  server = await startServer({ threads: 2 });
  await page.goto(server.url);
  await foundationFlow(page, {
    screenshotPrefix: 'browser',
    restart: async () => {
      server = await server.restart();
      const next = await context.newPage();
      await next.goto(server.url);
      await page.close();
      return next;
    },
  });
});
