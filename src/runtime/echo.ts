import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * edgegen's built-in echo backend: answers JSON naming its service and instance and the request it got,
 * so smoke checks can see routing, headers and distribution. Control endpoints under /__edgegen/ need the
 * control token (so nothing sent through the stack can flip them): fail, recover, slow, stats.
 */
export interface EchoOptions { service: string; instance: number; host: string; port: number; controlToken: string }

export interface EchoState { failing: boolean; delayMs: number; requests: number; byPath: Record<string, number> }

export function startEcho(opts: EchoOptions): Promise<{ server: Server; state: EchoState }> {
  const state: EchoState = { failing: false, delayMs: 0, requests: 0, byPath: {} };
  const server = createServer((req, res) => handle(req, res, opts, state));
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve({ server, state }));
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function handle(req: IncomingMessage, res: ServerResponse, opts: EchoOptions, state: EchoState) {
  const url = new URL(req.url ?? '/', 'http://echo');
  if (url.pathname.startsWith('/__edgegen/')) {
    if (req.headers['x-edgegen-control'] !== opts.controlToken) return send(res, 403, { message: 'control token required' });
    switch (url.pathname) {
      case '/__edgegen/fail': state.failing = true; break;
      case '/__edgegen/recover': state.failing = false; state.delayMs = 0; break;
      case '/__edgegen/slow': state.delayMs = Math.min(120_000, Number(url.searchParams.get('ms') ?? '0') || 0); break;
      case '/__edgegen/reset': state.requests = 0; state.byPath = {}; break;
      case '/__edgegen/stats': break;
      default: return send(res, 404, { message: 'unknown control endpoint' });
    }
    return send(res, 200, { service: opts.service, instance: opts.instance, ...state });
  }
  if (url.pathname === '/healthz') return send(res, state.failing ? 503 : 200, { status: state.failing ? 'failing' : 'ok' });
  state.requests++;
  state.byPath[url.pathname] = (state.byPath[url.pathname] ?? 0) + 1;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => { if (chunks.length < 64) chunks.push(c); });
  req.on('end', () => {
    const answer = () => {
      if (state.failing) return send(res, 503, { message: 'instance is failing (edgegen echo)', service: opts.service, instance: opts.instance });
      const body = Buffer.concat(chunks).toString('utf8');
      send(res, 200, {
        service: opts.service,
        instance: opts.instance,
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: body.length > 4096 ? `${body.slice(0, 4096)}…` : body,
        timestamp: new Date().toISOString(),
      });
    };
    if (state.delayMs > 0) setTimeout(answer, state.delayMs);
    else answer();
  });
}
