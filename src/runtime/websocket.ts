import { createHash, randomBytes } from 'node:crypto';

/**
 * The small part of RFC 6455 edgegen needs on both ends (the echo backend's server, smoke's client): the opening
 * handshake's accept value, and frames. Hand-written rather than the `ws` package: the echo backend runs from dist/
 * in a plain node container without node_modules.
 */

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Messages above this are refused (close 1009): the echo and the checks only send short ones. */
export const MAX_MESSAGE = 1 << 20;

export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface Frame { fin: boolean; opcode: number; masked: boolean; payload: Buffer }

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** A fresh Sec-WebSocket-Key (16 random bytes, base64). */
export function newKey(): string {
  return randomBytes(16).toString('base64');
}

/** One frame; clients mask (RFC 6455 5.3), servers do not. */
export function encodeFrame(opcode: number, payload: Buffer, mask: boolean, fin = true): Buffer {
  const len = payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
  else {
    head.push(m | 127, 0, 0, 0, 0);
    for (let s = 24; s >= 0; s -= 8) head.push((len >>> s) & 0xff);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** Reads frames from a byte stream that arrives in arbitrary pieces. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  /** Frames completed by `chunk`; throws on a frame longer than MAX_MESSAGE. */
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    for (;;) {
      const b = this.buf;
      if (b.length < 2) break;
      let len = b[1] & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(MAX_MESSAGE)) throw new Error('frame too large');
        len = Number(big);
        at = 10;
      }
      if (len > MAX_MESSAGE) throw new Error('frame too large');
      const masked = (b[1] & 0x80) !== 0;
      const end = at + (masked ? 4 : 0) + len;
      if (b.length < end) break;
      const payload = Buffer.from(b.subarray(end - len, end));
      if (masked) {
        const key = b.subarray(at, at + 4);
        for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
      }
      out.push({ fin: (b[0] & 0x80) !== 0, opcode: b[0] & 0x0f, masked, payload });
      this.buf = b.subarray(end);
    }
    return out;
  }
}

/** Joins fragmented messages (text/binary + continuations); control frames come out as they are. */
export class MessageJoiner {
  private parts: Buffer[] = [];
  private opcode = 0;
  private size = 0;

  /** A whole message or control frame, or undefined while a fragmented message is incomplete. */
  add(f: Frame): { opcode: number; payload: Buffer } | undefined {
    if (f.opcode >= 8) return f;
    if (f.opcode !== OP.continuation) { this.parts = []; this.size = 0; this.opcode = f.opcode; }
    this.parts.push(f.payload);
    this.size += f.payload.length;
    if (this.size > MAX_MESSAGE) throw new Error('message too large');
    if (!f.fin) return undefined;
    const payload = Buffer.concat(this.parts);
    this.parts = [];
    return { opcode: this.opcode, payload };
  }
}
