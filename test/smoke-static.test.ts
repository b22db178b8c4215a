import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../src/compile.js';
import { findBinary } from '../src/engines/binaries.js';
import type { Model } from '../src/model/types.js';
import { processDriver } from '../src/runtime/process.js';
import { down, up } from '../src/runtime/stack.js';
import type { StackState } from '../src/runtime/state.js';
import { runSmoke, type CheckResult } from '../src/smoke/index.js';
import { buildFixture, fixtureNames, REQUIRE_ENGINES } from './helpers/fixtures.js';
import { mutateNginx } from './helpers/mutate.js';
import { processesMentioning, scratchRoot } from './helpers/stack.js';

const engines = Boolean(await findBinary('nginx'));
const maybe = engines || REQUIRE_ENGINES ? describe : describe.skip;

/** Every emitted NGINX config of every fixture (the goldens' inputs). */
function nginxConfigs(): [string, string][] {
  return fixtureNames().flatMap((f) => buildFixture(f).files.filter((x) => x.path.endsWith('nginx.conf')).map((x) => [`${f}/${x.path}`, x.content] as [string, string]));
}

describe('static locations: only successful responses carry the long-lived Cache-Control (issue 15.2)', () => {
  it('the immutable Cache-Control is added without always; security headers keep always', () => {
    const conf = buildFixture('monolith').files.find((f) => f.path === 'nginx/nginx.conf')!.content;
    const loc = conf.slice(conf.indexOf('location ^~ "/assets/"'));
    const block = loc.slice(0, loc.indexOf('}'));
    expect(block).toMatch(/^\s*add_header Cache-Control "public, max-age=31536000, immutable";$/m);
    expect(block).toMatch(/^\s*add_header X-Content-Type-Options "nosniff" always;$/m);
  });

  it('no emitted config marks an error response cacheable: no Cache-Control or Expires with always', () => {
    const offenders = nginxConfigs().flatMap(([name, text]) => text.split('\n').filter((l) => /add_header\s+(Cache-Control|Expires|Surrogate-Control|CDN-Cache-Control)\b.*\balways;/i.test(l)).map((l) => `${name}: ${l.trim()}`));
    expect(offenders).toEqual([]);
    expect(nginxConfigs().some(([, t]) => /expires \d+/.test(t) || /add_header Cache-Control/.test(t))).toBe(true);
  });
});

maybe('static check on a user\'s own folder (process runtime, issue 15.1 and 15.2)', () => {
  const driver = processDriver();
  const root = scratchRoot();
  const site = mkdtempSync(join(tmpdir(), 'edgegen-user-site-'));
  const outside = mkdtempSync(join(tmpdir(), 'edgegen-outside-'));
  let model: Model;
  let state: StackState;
  const only = () => runSmoke(model, state, driver, {}, ['static']);
  const byName = (rs: CheckResult[], name: string) => rs.find((r) => r.name === name)!;

  beforeAll(async () => {
    // The user's folder: an asset, a symlink that sorts first and points outside, and a prefix with only a link.
    writeFileSync(join(outside, 'secret.txt'), 'not part of the site\n');
    mkdirSync(join(site, 'assets', 'img'), { recursive: true });
    symlinkSync(join(outside, 'secret.txt'), join(site, 'assets', 'a-secret.txt'));
    writeFileSync(join(site, 'assets', 'img', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
    writeFileSync(join(site, 'assets', 'site.css'), 'body { margin: 0 }\n');
    mkdirSync(join(site, 'docs'));
    symlinkSync(join(outside, 'secret.txt'), join(site, 'docs', 'index.html'));
    const spec = [
      'version: 1', 'name: user-site',
      'proxy:', '  ports: { http: 8080 }', '  static:',
      `    - { prefix: /assets/, root: ${site}, expires: 365d, immutable: true }`,
      `    - { prefix: /docs/, root: ${site}, expires: 1h }`,
      'services:', '  - name: app', '    instances: [{ address: 127.0.0.1:3000 }] # edgegen-lint-disable-line single-instance -- a test stack',
      'routes:', '  - { name: app, match: { path: /api }, service: app }',
    ].join('\n');
    const r = loadSpec(spec, 'user-site.yaml');
    if (!r.model) throw new Error(JSON.stringify(r.diagnostics));
    model = r.model;
    state = await up(model, { driver, root, specFile: 'user-site.yaml', env: {} });
  }, 60_000);
  afterAll(async () => {
    if (state) await down(state, driver);
    expect(processesMentioning(root)).toEqual([]);
    // up never wrote into the user's folder.
    expect(readdirSync(join(site, 'assets')).sort()).toEqual(['a-secret.txt', 'img', 'site.css']);
    rmSync(site, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  it('probes a regular file that exists under the folder (never a link out of it) and passes', async () => {
    const rs = await only();
    expect(byName(rs, 'static /assets/')).toMatchObject({ status: 'pass',
      observed: `GET /assets/site.css: 200, ${statSync(join(site, 'assets', 'site.css')).size} bytes, Cache-Control: public, max-age=31536000, immutable, backends saw 0` });
    expect(byName(rs, 'static /docs/')).toMatchObject({ status: 'not-run', reason: expect.stringMatching(/no readable regular file under .*docs.*symbolic links are not followed/) });
    expect(rs.filter((r) => r.status === 'fail')).toEqual([]);
  });

  it('a missing file under a static prefix is a 404 without the long-lived Cache-Control', async () => {
    const rs = await only();
    for (const p of ['/assets/', '/docs/']) expect(byName(rs, `static ${p}: a missing file -> 404, not cacheable`)).toMatchObject({ status: 'pass', observed: '404, Cache-Control: absent' });
  });

  it('mutation: the Cache-Control added with always makes the missing-file check fail', async () => {
    const restore = await mutateNginx(state, 'proxy', (c) => c.replace(/(add_header Cache-Control "[^"]*immutable");/, '$1 always;'));
    try {
      expect(byName(await only(), 'static /assets/: a missing file -> 404, not cacheable')).toMatchObject({ status: 'fail', observed: expect.stringMatching(/^404, Cache-Control: public, max-age=31536000, immutable/) });
    } finally {
      await restore();
    }
  }, 30_000);

  it('mutation: a static location reading another folder makes the static check fail', async () => {
    const restore = await mutateNginx(state, 'proxy', (c) => c.replace(`root "${site}";`, `root "${outside}";`));
    try {
      expect(byName(await only(), 'static /assets/')).toMatchObject({ status: 'fail', observed: expect.stringMatching(/^GET \/assets\/site\.css: 404/) });
    } finally {
      await restore();
    }
  }, 30_000);
});
