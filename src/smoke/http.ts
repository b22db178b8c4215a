import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';

export interface SmokeRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** CA file to verify HTTPS against, and the name to verify. */
  ca?: string;
  servername?: string;
  timeoutMs?: number;
  /** Local (client) address to send from, e.g. a second loopback address; default: the system's choice (127.0.0.1 on loopback). */
  from?: string;
  /** A rate-limit probe: its 429 is the answer, never a reason to resend from another address. */
  probe?: boolean;
}

export interface SmokeResponse {
  status: number; headers: IncomingHttpHeaders; body: string; json?: Record<string, unknown>; error?: string;
  /** The client address the request was sent from, when one was chosen. */
  from?: string;
  /** Length of the body as received, in bytes. */
  bytes?: number;
}

/** One HTTP(S) request on a fresh connection (so load balancing sees each request). */
export function send(req: SmokeRequest): Promise<SmokeResponse> {
  const u = new URL(req.url);
  const fn = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const r = fn(u, {
      method: req.method ?? 'GET',
      headers: { connection: 'close', ...(req.headers ?? {}) },
      agent: false,
      ...(req.from ? { localAddress: req.from } : {}),
      timeout: req.timeoutMs ?? 10_000,
      ...(u.protocol === 'https:' ? { ca: req.ca ? readFileSync(req.ca) : undefined, servername: req.servername ?? 'localhost' } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = raw.toString('utf8');
        let json: Record<string, unknown> | undefined;
        try { json = JSON.parse(body) as Record<string, unknown>; } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json, from: req.from, bytes: raw.length });
      });
    });
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', (e) => resolve({ status: 0, headers: {}, body: '', error: e.message, from: req.from }));
    if (req.body) r.write(req.body);
    r.end();
  });
}

/** A curl command line that reproduces a request (secrets masked). */
export function curl(req: SmokeRequest, secrets: string[] = []): string {
  const mask = (s: string) => secrets.reduce((acc, x) => (x ? acc.split(x).join('***') : acc), s);
  const parts = ['curl', '-i'];
  if (req.method && req.method !== 'GET') parts.push('-X', req.method);
  if (req.ca) parts.push('--cacert', req.ca);
  if (req.from) parts.push('--interface', req.from);
  for (const [k, v] of Object.entries(req.headers ?? {})) parts.push('-H', `'${mask(`${k}: ${v}`)}'`);
  if (req.body) parts.push('--data', `'${mask(req.body)}'`);
  parts.push(`'${req.url}'`);
  return parts.join(' ');
}
