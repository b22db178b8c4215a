import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { acceptKey, encodeFrame, FrameReader, MessageJoiner, newKey, OP } from '../runtime/websocket.js';

/** A WebSocket client for the smoke checks: one opening handshake over HTTP/1.1 (TLS verified), then text messages. */

export interface WsOpen {
  /** The handshake's status: 101 when the upgrade went through, else what answered instead (0: no answer). */
  status: number;
  headers: Record<string, string>;
  /** Why there is no socket (connection error, timeout, wrong accept value). */
  error?: string;
  socket?: WsSocket;
}

export class WsSocket {
  private readonly reader = new FrameReader();
  private readonly joiner = new MessageJoiner();
  private readonly inbox: string[] = [];
  private waiting?: (v: string | Error) => void;
  closed?: string;

  constructor(private readonly sock: Socket, rest: Buffer) {
    sock.on('data', (c: Buffer) => this.take(c));
    sock.on('close', () => this.end('connection closed'));
    sock.on('error', (e) => this.end(e.message));
    if (rest.length) this.take(rest);
  }

  private take(chunk: Buffer) {
    try {
      for (const f of this.reader.push(chunk)) {
        const m = this.joiner.add(f);
        if (!m) continue;
        if (m.opcode === OP.text || m.opcode === OP.binary) this.deliver(m.payload.toString('utf8'));
        else if (m.opcode === OP.ping) this.sock.write(encodeFrame(OP.pong, m.payload, true));
        else if (m.opcode === OP.close) this.end(`closed by the server (code ${m.payload.length >= 2 ? m.payload.readUInt16BE(0) : 'none'})`);
      }
    } catch (e) {
      this.end((e as Error).message);
    }
  }

  private deliver(text: string) {
    const w = this.waiting;
    if (w) { this.waiting = undefined; w(text); } else this.inbox.push(text);
  }

  private end(why: string) {
    this.closed ??= why;
    const w = this.waiting;
    this.waiting = undefined;
    w?.(new Error(this.closed));
  }

  /** Send a text message and wait for the next message back (rejects on close or after timeoutMs). */
  roundTrip(text: string, timeoutMs = 5000): Promise<string> {
    if (this.closed) return Promise.reject(new Error(this.closed));
    this.sock.write(encodeFrame(OP.text, Buffer.from(text), true));
    if (this.inbox.length) return Promise.resolve(this.inbox.shift()!);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.waiting = undefined; reject(new Error(`no answer within ${timeoutMs} ms`)); }, timeoutMs);
      this.waiting = (v) => { clearTimeout(t); if (v instanceof Error) reject(v); else resolve(v); };
    });
  }

  close(): void {
    if (!this.closed) this.sock.end(encodeFrame(OP.close, Buffer.from([0x03, 0xe8]), true));
    this.closed ??= 'closed by the client';
    setTimeout(() => this.sock.destroy(), 200).unref();
  }
}

/** Open a WebSocket at `url` (http: or https:, loopback in the checks) with extra request headers, from a chosen local address. */
export function wsOpen(url: string, headers: Record<string, string>, opts: { ca?: string; timeoutMs?: number; from?: string } = {}): Promise<WsOpen> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const key = newKey();
  return new Promise((resolve) => {
    const sock = u.protocol === 'https:'
      ? tlsConnect({ socket: tcpConnect({ host: u.hostname, port, localAddress: opts.from }), servername: 'localhost', ca: opts.ca ? readFileSync(opts.ca) : undefined, ALPNProtocols: ['http/1.1'] })
      : tcpConnect({ host: u.hostname, port, localAddress: opts.from });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (r: WsOpen) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.removeListener('data', onData);
      if (!r.socket) sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ status: 0, headers: {}, error: 'timeout' }), opts.timeoutMs ?? 10_000);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      const h: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) h[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      if (status !== 101) return finish({ status, headers: h });
      if (h['sec-websocket-accept'] !== acceptKey(key)) return finish({ status, headers: h, error: 'wrong Sec-WebSocket-Accept' });
      finish({ status, headers: h, socket: new WsSocket(sock, buf.subarray(end + 4)) });
    };
    sock.on('data', onData);
    sock.on('error', (e) => finish({ status: 0, headers: {}, error: e.message }));
    sock.on('close', () => finish({ status: 0, headers: {}, error: 'connection closed before an answer' }));
    const lines = [`GET ${u.pathname}${u.search} HTTP/1.1`, `Host: ${headers.host ?? u.host}`, 'Connection: Upgrade', 'Upgrade: websocket',
      `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13',
      ...Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'host').map(([k, v]) => `${k}: ${v}`), '', ''];
    sock.write(lines.join('\r\n'));
  });
}
