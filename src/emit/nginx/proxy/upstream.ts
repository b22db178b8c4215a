import type { AddressPlan } from '../../../model/plan.js';
import type { Service } from '../../../model/types.js';
import { TextBlock } from '../../text.js';
import { KEEPALIVE_REQUESTS, passiveHealth, SERVICE_IDLE_MS } from '../failover.js';
import { hostPort, ident, num, time, type NgxArg } from '../quote.js';

function upstreamFor(s: Service, plan: AddressPlan, keepalive: number) {
  const balance = { roundrobin: '', leastconn: 'least_conn', iphash: 'ip_hash', random: 'random two least_conn', hash: 'hash $request_uri consistent' }[s.algorithm];
  const hc = s.healthCheck;
  const servers = s.instances.map((inst) => {
    const ep = plan.service(s.name, inst.index);
    const opts = [`weight=${Math.max(1, inst.weight)}`, passiveHealth(hc)];
    if (inst.backup && s.algorithm !== 'hash' && s.algorithm !== 'iphash' && s.algorithm !== 'random') opts.push('backup');
    return `${hostPort(ep.host, ep.port)} ${opts.join(' ')}` as NgxArg;
  });
  return { name: ident(s.id), balance: balance || false, servers, keepalive: keepalive > 0 ? num(keepalive) : false };
}

const UPSTREAM_NOTE = `
    # Services: an instance leaves rotation at its first failed attempt (max_fails=1) for fail_timeout; idle connections
    # close before the service would close them (keepalive_timeout), so no request is written onto a closing one.
`;

/**
 * One upstream block per service (passive health and idle timeouts: see ../failover.ts), written here rather than by
 * a template (a spec may route to a thousand services).
 * `values` counts what a template view of them held (see TextBlock).
 */
export function upstreamsBlock(services: Service[], plan: AddressPlan, keepalive: number): TextBlock {
  const parts: string[] = services.length ? [UPSTREAM_NOTE] : [];
  let values = 1;
  for (const s of services) {
    const u = upstreamFor(s, plan, keepalive);
    let text = `\n    upstream ${u.name} {\n`;
    if (u.balance) text += `        ${u.balance};\n`;
    for (const server of u.servers) text += `        server ${server};\n`;
    if (u.keepalive) text += `        keepalive ${u.keepalive};\n        keepalive_requests ${KEEPALIVE_REQUESTS};\n        keepalive_timeout ${time(SERVICE_IDLE_MS)};\n`;
    parts.push(`${text}    }\n`);
    values += 5 + u.servers.length;
  }
  return new TextBlock(parts.join(''), values);
}
