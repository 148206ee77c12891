import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { encodeFrame, type Result } from '../../shared/api';
import type { EventBus } from '../services/events';
import { dispatch, type Handlers } from '../services/dispatch';
import { decodeFrameStream, FrameError, FrameTooLargeError, removeStaged } from './frame-stream';

/**
 * Browser mode: the same handlers as the desktop window's IPC, over HTTP on the loopback interface.
 *
 * Protection, as Jupyter does it: a random token in the first URL, required on every API call
 * (`Authorization: Bearer`) and on the event stream (`?token=`); requests whose Host header is not
 * this server's own loopback address are refused (DNS rebinding), and so are requests with a
 * foreign Origin (other web pages). Exact string comparisons throughout, never substrings.
 */

export interface BrowserServerOptions {
  handlers: Handlers;
  events: EventBus;
  /** Built renderer (out/renderer). */
  rendererDir: string;
  /** Loopback only: 127.0.0.1 (default), ::1 or localhost. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token (tests); default 32 random bytes, hex. */
  token?: string;
  /** Largest request body accepted (uploads). Default 4 GiB. */
  maxBodyBytes?: number;
  /**
   * Where uploads are streamed while a request is handled (the services' staging folder, so the
   * handler can move them in place); request bodies are never held whole in memory.
   */
  stagingDir: string;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

function tokensEqual(expected: string, given: string | null | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

function sendFrame(res: ServerResponse, status: number, result: Result<unknown>): void {
  const body = encodeFrame(result);
  res.writeHead(status, {
    'Content-Type': 'application/x-nmf-frame',
    'Content-Length': body.byteLength,
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

/** `decodeURIComponent` that answers null for malformed %-encoding (a 400, not a crash). */
function decodePath(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new Error(
      `browser mode listens on the loopback interface only (127.0.0.1, ::1 or localhost), not ${host}`,
    );
  }
  const token = options.token ?? randomBytes(32).toString('hex');
  const rendererRoot = resolve(options.rendererDir);
  const maxBody = options.maxBodyBytes ?? 4 * 1024 ** 3;
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();
  const streams = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      // Never the error's text: it may name temporary files or internals.
      if (!res.headersSent) send(res, 500, 'internal error');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (!allowedHosts.has(req.headers.host ?? '')) {
      send(res, 403, `refused: Host ${JSON.stringify(req.headers.host ?? '')} is not this server`);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      send(res, 403, `refused: Origin ${JSON.stringify(origin)} is not this server`);
      return;
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') return send(res, 405, 'GET only');
      if (!tokensEqual(token, url.searchParams.get('token')))
        return send(res, 401, 'refused: missing or wrong token');
      return openEventStream(res);
    }
    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return send(res, 405, 'POST only');
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!tokensEqual(token, bearer)) return send(res, 401, 'refused: missing or wrong token');
      const channel = decodePath(url.pathname.slice('/api/'.length));
      if (channel === null)
        return sendFrame(res, 400, {
          ok: false,
          error: { code: 'invalid_request', message: 'malformed %-encoding in the request path' },
        });
      let decoded: Awaited<ReturnType<typeof decodeFrameStream>>;
      try {
        decoded = await decodeFrameStream(req as AsyncIterable<Buffer>, {
          stagingDir: options.stagingDir,
          maxBodyBytes: maxBody,
        });
      } catch (error) {
        if (!(error instanceof FrameError)) throw error;
        // Stop reading the rest of a refused body; the answer says why.
        res.setHeader('Connection', 'close');
        return sendFrame(res, error instanceof FrameTooLargeError ? 413 : 400, {
          ok: false,
          error: { code: 'invalid_request', message: `unreadable request: ${error.message}` },
        });
      }
      try {
        const result = await dispatch(options.handlers, channel, decoded.value);
        return sendFrame(res, result.ok ? 200 : result.error.code === 'invalid_request' ? 400 : 200, result);
      } finally {
        await removeStaged(decoded.staged);
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'GET only');
    return serveStatic(url.pathname, res);
  }

  function openEventStream(res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    streams.add(res);
    const unsubscribe = options.events.subscribe((event, payload) => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    heartbeat.unref();
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    });
  }

  async function serveStatic(pathname: string, res: ServerResponse): Promise<void> {
    const decoded = decodePath(pathname);
    if (decoded === null) return send(res, 400, 'malformed %-encoding in the path');
    const relative = pathname === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
    const file = normalize(join(rendererRoot, relative));
    if (file !== rendererRoot && !file.startsWith(rendererRoot + sep)) return send(res, 404, 'not found');
    let size: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) return send(res, 404, 'not found');
      size = info.size;
    } catch {
      return send(res, 404, 'not found');
    }
    res.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Length': size,
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'Cache-Control': extname(file) === '.html' ? 'no-store' : 'max-age=3600',
    });
    createReadStream(file).pipe(res);
  }

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolvePromise());
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  allowedOrigins = new Set([...allowedHosts].map((h) => `http://${h}`));
  const shownHost = host === '::1' ? '[::1]' : host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolvePromise) => {
        for (const stream of streams) stream.end();
        server.close(() => resolvePromise());
        server.closeAllConnections();
      }),
  };
}
