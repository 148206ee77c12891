import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, type Result } from '../../../shared/api';
import { EventBus } from '../../services/events';
import type { Handlers } from '../../services/dispatch';
import { startBrowserServer, type BrowserServer } from '../http';

/** Raw HTTP so the Host and Origin headers can be forged (fetch does not allow it). */
function raw(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: Uint8Array },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    if (options.body) req.write(options.body);
    req.end();
  });
}

let server: BrowserServer;
let dir: string;
const calls: unknown[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-http-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>NMF Studio</title>');
  const handlers = {
    'runs:get': (req: { id: number }) => {
      calls.push(req);
      return { id: req.id, W: new Float64Array([1, 2, 3]) };
    },
  } as unknown as Handlers;
  server = await startBrowserServer({
    handlers,
    events: new EventBus(),
    rendererDir: dir,
    token: 'a'.repeat(64),
    stagingDir: dir,
  });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const host = (): string => `127.0.0.1:${server.port}`;
const call = (headers: Record<string, string>, body: unknown = { id: 3 }) =>
  raw(server.port, {
    method: 'POST',
    path: '/api/runs:get',
    headers: { 'Content-Type': 'application/x-nmf-frame', ...headers },
    body: encodeFrame(body),
  });

describe('browser-mode server', () => {
  it('listens on loopback and prints a URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${'a'.repeat(64)}`);
  });

  it('answers a request with the token, typed arrays intact', async () => {
    const res = await call({ Host: host(), Authorization: `Bearer ${'a'.repeat(64)}` });
    expect(res.status).toBe(200);
    const result = decodeFrame(new Uint8Array(res.body)) as Result<{ id: number; W: Float64Array }>;
    expect(result.ok).toBe(true);
    if (result.ok) expect(Array.from(result.value.W)).toEqual([1, 2, 3]);
  });

  it('refuses a request without the token, or with a wrong one', async () => {
    const before = calls.length;
    expect((await call({ Host: host() })).status).toBe(401);
    expect((await call({ Host: host(), Authorization: `Bearer ${'b'.repeat(64)}` })).status).toBe(401);
    expect((await call({ Host: host(), Authorization: 'Bearer short' })).status).toBe(401);
    expect(calls.length).toBe(before);
  });

  it('refuses a foreign Host header (DNS rebinding), compared exactly', async () => {
    const token = { Authorization: `Bearer ${'a'.repeat(64)}` };
    for (const badHost of [
      'evil.example',
      `evil.example:${server.port}`,
      `127.0.0.1.evil.example:${server.port}`,
      `127.0.0.1:${server.port + 1}`,
    ]) {
      const res = await call({ Host: badHost, ...token });
      expect(res.status, badHost).toBe(403);
      expect(res.body.toString()).toContain('is not this server');
    }
  });

  it('refuses a foreign Origin, compared exactly', async () => {
    const headers = { Host: host(), Authorization: `Bearer ${'a'.repeat(64)}` };
    for (const origin of [
      'http://evil.example',
      `http://127.0.0.1:${server.port}.evil.example`,
      'null',
      `https://127.0.0.1:${server.port}`,
    ]) {
      expect((await call({ ...headers, Origin: origin })).status, origin).toBe(403);
    }
    expect((await call({ ...headers, Origin: `http://127.0.0.1:${server.port}` })).status).toBe(200);
  });

  it('validates the request: unknown channels and bad payloads never reach a handler', async () => {
    const headers = {
      Host: host(),
      Authorization: `Bearer ${'a'.repeat(64)}`,
      'Content-Type': 'application/x-nmf-frame',
    };
    const unknown = await raw(server.port, {
      method: 'POST',
      path: '/api/fs:readFile',
      headers,
      body: encodeFrame({}),
    });
    expect((decodeFrame(new Uint8Array(unknown.body)) as Result<unknown>).ok).toBe(false);
    const before = calls.length;
    const bad = await call(headers, { id: -4, extra: 1 });
    expect(bad.status).toBe(400);
    const result = decodeFrame(new Uint8Array(bad.body)) as Result<unknown>;
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('invalid_request');
    expect(calls.length).toBe(before);
  });

  it('serves the app with a Content-Security-Policy and refuses path traversal', async () => {
    const page = await raw(server.port, { path: '/', headers: { Host: host() } });
    expect(page.status).toBe(200);
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    const escape = await raw(server.port, { path: '/..%2f..%2fetc%2fpasswd', headers: { Host: host() } });
    expect(escape.status).toBe(404);
  });

  it('requires the token on the event stream', async () => {
    const res = await raw(server.port, { path: '/api/events', headers: { Host: host() } });
    expect(res.status).toBe(401);
  });

  it('refuses to listen on a non-loopback address', async () => {
    await expect(
      startBrowserServer({
        handlers: {} as Handlers,
        events: new EventBus(),
        rendererDir: dir,
        host: '0.0.0.0',
        stagingDir: dir,
      }),
    ).rejects.toThrow(/loopback interface only/);
  });
});
