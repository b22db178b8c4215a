import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { acceptKey, encodeFrame, FrameReader, MessageJoiner, OP } from './websocket.js';

/**
 * edgegen's built-in echo backend: answers JSON naming its service and instance and the request it got,
 * so smoke checks can see routing, headers and distribution. Control endpoints under /__edgegen/ need the
 * control token (so nothing sent through the stack can flip them): fail, recover, slow, stats.
 * A WebSocket upgrade on any other path opens an echo: every message comes back as it was sent.
 */
export interface EchoOptions { service: string; instance: number; host: string; port: number; controlToken: string }

export interface EchoState { failing: boolean; delayMs: number; requests: number; byPath: Record<string, number> }

export function startEcho(opts: EchoOptions): Promise<{ server: Server; state: EchoState }> {
  const state: EchoState = { failing: false, delayMs: 0, requests: 0, byPath: {} };
  const server = createServer((req, res) => handle(req, res, opts, state));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrade(req, socket, head, opts, state));
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
  count(state, url.pathname);
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

/** Count a request the backend served (the smoke checks read these counts). */
function count(state: EchoState, path: string) {
  state.requests++;
  state.byPath[path] = (state.byPath[path] ?? 0) + 1;
}

function refuse(socket: Duplex, status: string, message: string) {
  const body = JSON.stringify({ message });
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** RFC 6455 opening handshake, then echo every text and binary message; the 101 names the service and instance. */
function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, opts: EchoOptions, state: EchoState) {
  socket.on('error', () => socket.destroy());
  const url = new URL(req.url ?? '/', 'http://echo');
  const key = req.headers['sec-websocket-key'];
  if (String(req.headers.upgrade).toLowerCase() !== 'websocket' || req.method !== 'GET' || typeof key !== 'string'
    || Buffer.from(key, 'base64').length !== 16 || req.headers['sec-websocket-version'] !== '13') {
    return refuse(socket, '400 Bad Request', 'a WebSocket upgrade needs GET, Upgrade: websocket, Sec-WebSocket-Key and Sec-WebSocket-Version: 13');
  }
  if (url.pathname.startsWith('/__edgegen/')) return refuse(socket, '404 Not Found', 'no WebSocket here');
  if (state.failing) return refuse(socket, '503 Service Unavailable', 'instance is failing (edgegen echo)');
  count(state, url.pathname);
  socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`,
    `X-Edgegen-Service: ${opts.service}`, `X-Edgegen-Instance: ${opts.instance}`, '', ''].join('\r\n'));
  const reader = new FrameReader();
  const joiner = new MessageJoiner();
  const close = (code: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(code);
    socket.end(encodeFrame(OP.close, b, false));
  };
  const onData = (chunk: Buffer) => {
    try {
      for (const f of reader.push(chunk)) {
        // Clients must mask every frame (RFC 6455 5.1).
        if (!f.masked) return close(1002);
        const m = joiner.add(f);
        if (!m) continue;
        if (m.opcode === OP.text || m.opcode === OP.binary) socket.write(encodeFrame(m.opcode, m.payload, false));
        else if (m.opcode === OP.ping) socket.write(encodeFrame(OP.pong, m.payload, false));
        else if (m.opcode === OP.close) return close(1000);
      }
    } catch {
      close(1009);
    }
  };
  socket.on('data', onData);
  if (head.length) onData(head);
}
