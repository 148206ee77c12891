import { expect, test } from '@playwright/test';
import { serverForThisFile } from './server';

/** Browser mode's locks, checked against the real server process (unit tests cover forged headers too). */
const server = serverForThisFile();

test('the API refuses requests without the token and from foreign origins', async ({ request }) => {
  const body = Buffer.from('NMF1');
  const noToken = await request.post(`${server().origin}/api/datasets:list`, { data: body });
  expect(noToken.status()).toBe(401);
  const wrong = await request.post(`${server().origin}/api/datasets:list`, {
    data: body,
    headers: { Authorization: 'Bearer 1234' },
  });
  expect(wrong.status()).toBe(401);
  const foreign = await request.post(`${server().origin}/api/datasets:list`, {
    data: body,
    headers: { Authorization: `Bearer ${server().token}`, Origin: 'http://evil.example' },
  });
  expect(foreign.status()).toBe(403);
  const events = await request.get(`${server().origin}/api/events`);
  expect(events.status()).toBe(401);
});

test('a page on another origin cannot read the API, even knowing the port', async ({ page }) => {
  await page.goto('about:blank');
  const outcome = await page.evaluate(async (origin) => {
    try {
      const response = await fetch(`${origin}/api/datasets:list`, { method: 'POST', body: 'x' });
      return `status ${response.status}`;
    } catch (error) {
      return `blocked: ${String(error)}`;
    }
  }, server().origin);
  expect(outcome).not.toBe('status 200');
});

test('the app loads with its Content-Security-Policy and strips the token from the address bar', async ({
  page,
}) => {
  const response = await page.goto(server().url);
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  await expect(page).toHaveTitle(/NMF Studio/);
  await expect.poll(() => new URL(page.url()).searchParams.get('token')).toBeNull();
});
