import type { AddressPlan } from '../../../model/plan.js';
import type { Service } from '../../../model/types.js';
import { TextBlock } from '../../text.js';
import { hostPort, ident, num, type NgxArg } from '../quote.js';

function upstreamFor(s: Service, plan: AddressPlan, keepalive: number) {
  const balance = { roundrobin: '', leastconn: 'least_conn', iphash: 'ip_hash', random: 'random two least_conn', hash: 'hash $request_uri consistent' }[s.algorithm];
  const hc = s.healthCheck;
  const servers = s.instances.map((inst) => {
    const ep = plan.service(s.name, inst.index);
    // nginx reads fail_timeout in whole seconds.
    const opts = [`weight=${Math.max(1, inst.weight)}`, `max_fails=${hc?.fall ?? 3}`, `fail_timeout=${Math.max(1, Math.ceil((hc?.intervalMs ?? 10_000) / 1000))}s`];
    if (inst.backup && s.algorithm !== 'hash' && s.algorithm !== 'iphash' && s.algorithm !== 'random') opts.push('backup');
    return `${hostPort(ep.host, ep.port)} ${opts.join(' ')}` as NgxArg;
  });
  return { name: ident(s.id), balance: balance || false, servers, keepalive: keepalive > 0 ? num(keepalive) : false };
}

/**
 * One upstream block per service, written here rather than by a template (a spec may route to a thousand services).
 * `values` counts what a template view of them held (see TextBlock).
 */
export function upstreamsBlock(services: Service[], plan: AddressPlan, keepalive: number): TextBlock {
  const parts: string[] = [];
  let values = 1;
  for (const s of services) {
    const u = upstreamFor(s, plan, keepalive);
    let text = `\n    upstream ${u.name} {\n`;
    if (u.balance) text += `        ${u.balance};\n`;
    for (const server of u.servers) text += `        server ${server};\n`;
    if (u.keepalive) text += `        keepalive ${u.keepalive};\n        keepalive_requests 10000;\n        keepalive_timeout 60s;\n`;
    parts.push(`${text}    }\n`);
    values += 5 + u.servers.length;
  }
  return new TextBlock(parts.join(''), values);
}
