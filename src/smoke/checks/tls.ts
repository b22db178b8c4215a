import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import type { CheckResult, SmokeContext } from '../context.js';
import { timed } from '../context.js';

function handshake(host: string, port: number, ca: string, maxVersion: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'): Promise<{ ok: boolean; error?: string; protocol?: string }> {
  return new Promise((resolve) => {
    // The client allows old versions (SECLEVEL=0), so a refusal can only come from the server.
    const s = connect({ host, port, ca: readFileSync(ca), servername: 'localhost', minVersion: 'TLSv1', maxVersion, ciphers: 'DEFAULT:@SECLEVEL=0', timeout: 5000 });
    s.once('secureConnect', () => { const protocol = s.getProtocol() ?? undefined; s.destroy(); resolve({ ok: true, protocol }); });
    s.once('error', (e) => resolve({ ok: false, error: /alert [a-z ]+/.exec(e.message)?.[0] ?? e.message.split('\n')[0] }));
    s.once('timeout', () => { s.destroy(); resolve({ ok: false, error: 'timeout' }); });
  });
}

/** The certificate verifies against the local CA, HTTP redirects, HSTS is sent, and versions below the profile are refused. */
export async function tlsChecks(ctx: SmokeContext): Promise<CheckResult[]> {
  const tls = ctx.model.tls;
  if (!tls || !ctx.state.entry.https || !ctx.state.caFile) return [];
  const layer = ctx.model.chain[0];
  const https = new URL(ctx.state.entry.https);
  const out: CheckResult[] = [];
  let sample: Awaited<ReturnType<SmokeContext['send']>> | undefined;
  out.push(await timed(layer, 'tls', 'HTTPS answers with the configured certificate', async () => {
    const req = ctx.request({ method: 'GET', host: 'localhost', path: '/edgegen-smoke-tls', headers: {} }, {}, ctx.state.entry.https);
    sample = await ctx.send(req);
    return { status: sample.status > 0 ? 'pass' : 'fail', expected: 'a response over TLS verified against the stack CA', observed: sample.error ?? `HTTP ${sample.status}`, reproduce: ctx.curl(req) };
  }));
  if (tls.redirectHttp && ctx.state.entry.http) {
    out.push(await timed(layer, 'tls', 'HTTP redirects to HTTPS with 301', async () => {
      const req = ctx.request({ method: 'GET', host: 'localhost', path: '/edgegen-smoke-redirect?a=1', headers: {} }, {}, ctx.state.entry.http);
      const res = await ctx.send(req);
      const loc = String(res.headers.location ?? '');
      return { status: res.status === 301 && loc.startsWith('https://') && loc.endsWith('/edgegen-smoke-redirect?a=1') ? 'pass' : 'fail',
        expected: '301 to https://…/edgegen-smoke-redirect?a=1', observed: `${res.status || res.error} Location: ${loc || 'absent'}`, reproduce: ctx.curl(req) };
    }));
  }
  if (tls.hsts) {
    out.push(await timed(layer, 'tls', 'HSTS header on HTTPS responses', async () => {
      const v = String(sample?.headers['strict-transport-security'] ?? '');
      return { status: v.includes(`max-age=${tls.hsts && tls.hsts.maxAge}`) ? 'pass' : 'fail', expected: `max-age=${tls.hsts && tls.hsts.maxAge}`, observed: v || 'absent' };
    }));
  }
  const below = tls.profile === 'modern' ? 'TLSv1.2' : 'TLSv1.1';
  out.push(await timed(layer, 'tls', `${below} is refused (${tls.profile} profile)`, async () => {
    const good = await handshake(https.hostname, Number(https.port), ctx.state.caFile!, 'TLSv1.3');
    const old = await handshake(https.hostname, Number(https.port), ctx.state.caFile!, below);
    return { status: good.ok && !old.ok ? 'pass' : 'fail', expected: `${below} handshake refused, TLSv1.3 accepted`,
      observed: `${below}: ${old.ok ? `accepted (${old.protocol})` : `refused (${old.error})`}; TLSv1.3: ${good.ok ? 'accepted' : good.error}`,
      reproduce: `openssl s_client -connect ${https.host} -${below === 'TLSv1.1' ? 'tls1_1' : 'tls1_2'} -CAfile ${ctx.state.caFile}` };
  }));
  return out;
}
