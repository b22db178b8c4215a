import type { AddressPlan } from '../../model/plan.js';
import type { Model } from '../../model/types.js';
import { KONG_ROUTER_FLAVOR } from './routes.js';
import { isIpAddress } from '../../spec/primitives.js';
import { hstsLayer, hstsValue } from '../tls.js';

/** Kong settings that live outside kong.yaml (listeners, TLS files, DB-less mode), as KEY=value lines for an env file. */
/** host:port for Kong's listen settings; an IPv6 address in brackets ("[::]:8000"). */
function hostPort(ep: { host: string; port: number }): string {
  // "::" means every address, IPv4 too (Kong's nginx would listen on IPv6 only).
  if (ep.host === '::') return `[::]:${ep.port} ipv6only=off`;
  return ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}

export function kongEnvironment(model: Model, plan: AddressPlan, instance: number, declarativePath: string): Record<string, string> {
  const gw = model.gateway!;
  const listen: string[] = [];
  if (gw.listen.http !== undefined) {
    const ep = plan.bind('gateway', instance, 'http');
    listen.push(`${hostPort(ep)} reuseport backlog=16384`);
  }
  if (gw.listen.https !== undefined) {
    const ep = plan.bind('gateway', instance, 'https');
    const pp = model.chain[0] === 'loadBalancer' && model.chain[1] === 'gateway' && model.loadBalancer!.passthrough ? ' proxy_protocol' : '';
    listen.push(`${hostPort(ep)} ssl${pp} reuseport backlog=16384`);
  }
  const status = plan.bind('gateway', instance, 'status');
  const env: Record<string, string> = {
    KONG_DATABASE: 'off',
    KONG_DECLARATIVE_CONFIG: declarativePath,
    // Route expressions with explicit priorities: Kong's choice is the model's route order (routes.ts).
    KONG_ROUTER_FLAVOR: KONG_ROUTER_FLAVOR,
    KONG_PROXY_LISTEN: listen.join(', '),
    KONG_ADMIN_LISTEN: 'off',
    KONG_STATUS_LISTEN: hostPort(status),
    KONG_PROXY_ACCESS_LOG: '/dev/stdout',
    KONG_PROXY_ERROR_LOG: '/dev/stderr',
    KONG_ANONYMOUS_REPORTS: 'off',
    KONG_HEADERS: 'latency_tokens,X-Kong-Request-Id',
    KONG_REAL_IP_HEADER: 'X-Forwarded-For',
    KONG_TRUSTED_IPS: trustedIps(model, plan),
    KONG_REAL_IP_RECURSIVE: 'on',
  };
  if (!env.KONG_TRUSTED_IPS) delete env.KONG_TRUSTED_IPS;
  if (gw.upstreamTls && model.tls?.ca) {
    env.KONG_NGINX_PROXY_PROXY_SSL_TRUSTED_CERTIFICATE = plan.file(model.tls.ca);
    env.KONG_NGINX_PROXY_PROXY_SSL_VERIFY_DEPTH = '3';
  }
  // Kong has no HSTS setting: the header is an injected add_header in its proxy server block (always: errors too).
  if (model.tls?.hsts && hstsLayer(model) === 'gateway') env.KONG_NGINX_PROXY_ADD_HEADER = `Strict-Transport-Security "${hstsValue(model.tls.hsts)}" always`;
  if (gw.terminatesTls && model.tls) {
    env.KONG_SSL_CERT = plan.file(model.tls.certificate);
    env.KONG_SSL_CERT_KEY = plan.file(model.tls.key);
    env.KONG_SSL_CIPHER_SUITE = model.tls.profile;
  }
  return env;
}

export function envFile(vars: Record<string, string>, header: string): string {
  return `# ${header}\n${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
}

/** The previous layers' addresses (private ranges when they are host names): only they may set X-Forwarded-For. */
function trustedIps(model: Model, plan: AddressPlan): string {
  const before = model.chain.slice(0, model.chain.indexOf('gateway'));
  const ips = new Set<string>();
  for (const layer of before)
    for (let i = 0; i < model[layer]!.instances; i++) {
      const host = plan.reach(layer, i, model[layer]!.listen.http !== undefined ? 'http' : 'https').host;
      if (isIpAddress(host)) ips.add(host);
      else ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].forEach((r) => ips.add(r));
    }
  return [...ips].sort().join(',');
}
