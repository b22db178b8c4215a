import { Agent, request } from 'node:http';

export interface BurstResult { sent: number; ok: number; failures: string[] }

/**
 * A bounded burst of GETs over `concurrency` keep-alive connections to a loopback URL (as a load generator such as
 * wrk sends them); `at(done)` runs once, when `trigger` requests have completed. Every answer other than 200 and
 * every socket error is a failure.
 */
export async function burst(url: string, o: { total: number; concurrency: number; trigger: number; at: () => void | Promise<void> }): Promise<BurstResult> {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) throw new Error(`bursts go to loopback only, not ${url}`);
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const failures: string[] = [];
  let next = 0;
  let done = 0;
  let ok = 0;
  let fired: Promise<void> | undefined;
  const one = (i: number) => new Promise<void>((resolve) => {
    const req = request(`${url}?burst=${i}`, { agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) ok++;
        else failures.push(`#${i}: HTTP ${res.statusCode}`);
        resolve();
      });
      res.on('error', (e) => { failures.push(`#${i}: ${e.message}`); resolve(); });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => { failures.push(`#${i}: ${e.message}`); resolve(); });
    req.end();
  });
  const worker = async () => {
    while (next < o.total) {
      await one(next++);
      if (++done === o.trigger) fired = Promise.resolve(o.at());
    }
  };
  try {
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    await fired;
  } finally {
    agent.destroy();
  }
  return { sent: o.total, ok, failures };
}
