// The Kong validator's shortcuts (src/kong/schema, issue #8) must not change a verdict:
// plugin entries validated once per content, per-field memo of the last accepted value,
// the plain-route-path shortcut, lazily computed entity ids (tokens for parent ids in
// cache keys), and checks that see only the fields they read.
import { describe, expect, it } from 'vitest';
import { ASCII_NAME, PLAIN_ROUTER_PATH, routerPath, utf8Name } from '../src/kong/schema/fields.js';
import { entityUuid } from '../src/kong/schema/ids.js';
import { validateKongConfig } from '../src/kong/schema/index.js';
import { validateField } from '../src/kong/schema/engine.js';

type Doc = Record<string, unknown>;
const doc = (extra: Doc): Doc => ({ _format_version: '3.0', ...extra });
const check = (d: Doc) => validateKongConfig(d);
const svc = (name: string, extra: Doc = {}) => ({ name, host: 'example.com', ...extra });
const rateLimiting = (config: Doc) => ({ name: 'rate-limiting', config: { limit_by: 'consumer', policy: 'local', ...config } });

describe('plugins validated once per content', () => {
  it('judges equal-looking entries that differ in one value separately', () => {
    const d = doc({
      services: [
        svc('a', { plugins: [rateLimiting({ minute: 5 })] }),
        svc('b', { plugins: [rateLimiting({ minute: 0 })] }),
        svc('c', { plugins: [rateLimiting({ minute: 5 })] }),
        svc('d', { plugins: [rateLimiting({ minute: 0 })] }),
      ],
    });
    expect(check(d)).toEqual([
      { path: 'services[1].plugins[0].config.minute', message: 'value must be greater than 0' },
      { path: 'services[3].plugins[0].config.minute', message: 'value must be greater than 0' },
    ]);
  });

  it('reports a shared (anchored) broken entry at every place it is used', () => {
    const broken = { name: 'key-auth', config: { key_names: ['api key'] } };
    const d = doc({ services: [svc('a', { plugins: [broken] }), svc('b', { plugins: [broken] })] });
    expect(check(d).map((e) => e.path)).toEqual(['services[0].plugins[0].config.key_names[0]', 'services[1].plugins[0].config.key_names[0]']);
  });

  it('tells apart values that serialize alike: an undefined-valued key, key order, NaN, holes', () => {
    const d = doc({
      plugins: [
        { name: 'cors', config: {} },
        { name: 'cors', config: { allow_origin_absent: undefined } },
        { name: 'cors', config: { max_age: 5, credentials: true } },
        { name: 'cors', config: { credentials: true, max_age: 5 } },
        { name: 'cors', config: { max_age: Number.NaN } },
        { name: 'cors', config: { max_age: null } },
        // eslint-disable-next-line no-sparse-arrays
        { name: 'cors', config: { methods: ['GET', , 'POST'] } },
        { name: 'cors', config: { methods: ['GET', null, 'POST'] } },
      ],
    });
    // (global plugins of one name also collide: only the config issues matter here)
    expect(check(d).filter((e) => e.path.includes('.config'))).toEqual([
      { path: 'plugins[1].config.allow_origin_absent', message: 'unknown field' },
      { path: 'plugins[4].config.max_age', message: 'expected a number' },
      { path: 'plugins[7].config.methods[1]', message: 'required field missing' },
    ]);
  });

  it('reports keys that name Object.prototype members as unknown (the engine used to throw)', () => {
    expect(check(doc({ constructor: 1, services: [svc('s', { toString: 'x' })] }))).toEqual([
      { path: 'constructor', message: 'unknown field' },
      { path: 'services[0].toString', message: 'unknown field' },
    ]);
    expect(check(doc({ plugins: [{ name: 'constructor' }] }))).toEqual([
      { path: 'plugins[0].name', message: "plugin 'constructor' not enabled; add it to the 'plugins' configuration property" },
    ]);
  });
});

describe('per-field memo of the last accepted value', () => {
  it('still reports a rejected value that repeats, between accepted ones', () => {
    const route = (name: string, protocols: string[]) => ({ name, protocols, paths: ['/'] });
    const d = doc({
      services: [svc('s', { routes: [route('a', ['https']), route('b', ['htps']), route('c', ['htps']), route('d', ['https'])] })],
    });
    expect(check(d).filter((e) => e.path.endsWith('protocols[0]'))).toEqual([
      { path: 'services[0].routes[1].protocols[0]', message: 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp' },
      { path: 'services[0].routes[2].protocols[0]', message: 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp' },
    ]);
  });
});

describe('shortcuts for plainly valid strings', () => {
  it('every path PLAIN_ROUTER_PATH accepts passes all routerPath checks', () => {
    const full = { ...routerPath(), fastAccept: undefined };
    const alphabet = 'aZ09/_~-.$^:@,=&;!%*(){}[]+?|\\';
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let accepted = 0;
    for (let i = 0; i < 20000; i++) {
      let p = rnd(2) ? '~/' : '/';
      for (let n = rnd(12); n > 0; n--) p += alphabet[rnd(alphabet.length)];
      if (!PLAIN_ROUTER_PATH.test(p)) continue;
      accepted++;
      expect(validateField(full, p, [])).toEqual([]);
    }
    expect(accepted).toBeGreaterThan(1000);
  });

  it('every name ASCII_NAME accepts passes utf8Name', () => {
    const full = { ...utf8Name(), fastAccept: undefined };
    for (const name of ['a', 'svc-1', 'route.v2~x_y', '-', '.', '~', '0']) {
      expect(ASCII_NAME.test(name)).toBe(true);
      expect(validateField(full, name, [])).toEqual([]);
    }
    for (const name of ['', 'a b', 'a/b', 'é']) expect(ASCII_NAME.test(name)).toBe(false);
  });

  it('leaves other paths to the full checks', () => {
    expect(PLAIN_ROUTER_PATH.test('/a/./b')).toBe(false);
    expect(PLAIN_ROUTER_PATH.test('~/a//b')).toBe(false);
    expect(PLAIN_ROUTER_PATH.test('/%zz')).toBe(false);
  });
});

describe('entity ids computed only when needed', () => {
  const sId = entityUuid('services', 's');

  it('names the real id of colliding nested plugins (a token stood for the service id)', () => {
    const d = doc({ services: [svc('s', { plugins: [{ name: 'cors' }] }), svc('s', { plugins: [{ name: 'cors' }] })] });
    const pluginId = entityUuid('plugins', `plugins:*:cors::${sId}:`);
    expect(check(d)).toEqual([
      { path: 'services[1]', message: "uniqueness violation: 'services' entity with name set to 's' already declared" },
      { path: 'services[1].plugins[0]', message: `uniqueness violation: 'plugins' entity with primary key set to '${pluginId}' already declared` },
    ]);
  });

  it('sees that a top-level plugin naming a service by its generated id is the nested one', () => {
    const d = doc({ services: [svc('s', { plugins: [{ name: 'cors' }] })], plugins: [{ name: 'cors', service: sId }] });
    const pluginId = entityUuid('plugins', `plugins:*:cors::${sId}:`);
    expect(check(d)).toEqual([
      { path: 'plugins[0]', message: `uniqueness violation: 'plugins' entity with primary key set to '${pluginId}' already declared` },
    ]);
  });

  it('compares an explicit id with generated ones', () => {
    const d = doc({ services: [svc('s'), svc('t', { id: sId })] });
    expect(check(d)).toEqual([
      { path: 'services[1]', message: `uniqueness violation: 'services' entity with primary key set to '${sId}' already declared` },
    ]);
  });

  it('finds references by generated id', () => {
    expect(check(doc({ services: [svc('s')], routes: [{ name: 'r', paths: ['/'], service: sId }] }))).toEqual([]);
    expect(check(doc({ services: [svc('s')], routes: [{ name: 'r', paths: ['/'], service: entityUuid('services', 't') }] }))).toEqual([
      { path: 'routes[0]', message: `invalid reference 'service: ${entityUuid('services', 't')}' (no such entry in 'services')` },
    ]);
  });

  it('hashes keys as UTF-8: a number and a string name, or two lone surrogates, give one id', () => {
    const route = (name: unknown) => ({ name, paths: ['/'] });
    const idOf = (key: string) => entityUuid('routes', key);
    const dupId = (d: Doc, key: string) =>
      expect(check(d)).toContainEqual({ path: 'services[0].routes[1]', message: `uniqueness violation: 'routes' entity with primary key set to '${idOf(key)}' already declared` });
    dupId(doc({ services: [svc('s', { routes: [route(1), route('1')] })] }), '1');
    dupId(doc({ services: [svc('s', { routes: [route('1'), route(1)] })] }), '1');
    dupId(doc({ services: [svc('s', { routes: [route('\uD800'), route('\uDC00')] })] }), '\uFFFD');
    dupId(doc({ services: [svc('s', { routes: [route('\uFFFD'), route('\uD800')] })] }), '\uFFFD');
  });
});

describe('checks see defaults of the fields they read', () => {
  it('rate-limiting: a default policy, an absent header name', () => {
    expect(check(doc({ plugins: [{ name: 'rate-limiting', config: { minute: 5 } }] }))).toEqual([]);
    expect(check(doc({ plugins: [{ name: 'rate-limiting', config: { minute: 5, limit_by: 'header' } }] }))).toContainEqual({
      path: 'plugins[0].config.header_name',
      message: 'required field missing',
    });
    expect(check(doc({ plugins: [{ name: 'rate-limiting', config: { minute: 5, redis_host: 'r', policy: 'redis' } }] }))).toEqual([]);
  });

  it('routes: default protocols decide which matching fields are needed', () => {
    expect(check(doc({ services: [svc('s', { routes: [{ name: 'r' }] })] }))).toEqual([
      { path: 'services[0].routes[0]', message: "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'" },
    ]);
  });
});
