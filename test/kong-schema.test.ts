// Tests for the static Kong 3.9 declarative-config validator (src/kong/schema).
//
// Golden examples: test/kong-examples/ (copied from shared/kong-examples; Kong's own
// Apache-2.0 test data, see its index.md). Every v* file must validate cleanly and every
// i* file must fail with the error Kong gives (index.md, "asserted error" column).
// Skipped examples: none.
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateKongConfig, validateKongYaml, type KongSchemaError } from '../src/kong/schema/index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'kong-examples');
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
const read = (f: string) => readFileSync(join(dir, f), 'utf8');
const messages = (errs: KongSchemaError[]) => errs.map((e) => e.message);

/** Expected (path, message fragment) pairs per invalid example, from index.md. */
const EXPECTED: Record<string, Array<[string, string]>> = {
  'i01-format-version-not-string.yml': [['_format_version', 'expected a string']],
  'i02-format-version-unknown.yml': [['_format_version', 'expected one of: 1.1, 2.1, 3.0']],
  'i03-service-missing-host.yml': [['services[0].host', 'required field missing']],
  'i04-service-field-validations.yml': [
    ['services[0].host', 'expected a string'],
    ['services[0].path', 'must not have empty segments'],
    ['services[0].port', 'value should be between 0 and 65535'],
    ['services[0].protocol', 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp'],
    ['services[0].retries', 'value should be between 0 and 32767'],
  ],
  'i05-unknown-plugin-name.yml': [
    ['services[0].plugins[0].name', "plugin 'foo' not enabled; add it to the 'plugins' configuration property"],
  ],
  'i06-nested-plugin-extra-foreign-key.yml': [['services[0].plugins[0].consumer', 'value must be null']],
  'i07-route-without-matching-fields.yml': [
    ['services[0].routes[0]', "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"],
  ],
  'i08-route-path-without-slash.yml': [
    ['services[0].routes[0].paths[0]', 'should start with: / (fixed path) or ~/ (regex path)'],
  ],
  'i09-missing-foreign-references.yml': [
    ['plugins[0]', "invalid reference 'consumer: my-consumer' (no such entry in 'consumers')"],
    ['plugins[0]', "invalid reference 'service: svc1' (no such entry in 'services')"],
  ],
  'i10-duplicate-service-id.yml': [
    ['services[1]', "uniqueness violation: 'services' entity with primary key set to '0855b320-0dd2-547d-891d-601e9b38647f' already declared"],
  ],
  'i11-duplicate-service-name.yml': [
    ['services[1]', "uniqueness violation: 'services' entity with name set to 'foo' already declared"],
  ],
  'i12-duplicate-consumer-custom-id.yml': [
    ['consumers[1]', "uniqueness violation: 'consumers' entity with custom_id set to 'conflict' already declared"],
  ],
  'i13-foreign-ref-as-object.yml': [
    ['services[0].routes[0]', `invalid reference 'service: {"id":"769bdf51-16df-5476-9830-ef26800b5448"}' (no such entry in 'services')`],
  ],
  'i14-invalid-regex-after-migration.yml': [
    ['services[1].routes[0].paths[0]', 'invalid regex:'],
    ['services[1].routes[0].paths[0]', '/regex.+('],
    ['services[1].routes[0].paths[0]', 'missing closing parenthesis'],
  ],
  'i15-wrong-types-db-import.yml': [
    ['services[0].host', 'expected a string'],
    ['services[0].port', 'value should be between 0 and 65535'],
    ['services[0].routes', 'expected an array'],
  ],
  'i16-basicauth-nested-with-consumer-key.yml': [
    ['consumers[0].basicauth_credentials[0]', "all or none of these fields must be set: 'password', 'consumer.id'"],
    ['consumers[0].basicauth_credentials[0].consumer', 'value must be null'],
  ],
  'i17-rate-limiting-cluster-policy-dbless.yml': [['plugins[0].config.policy', 'expected one of: local, redis']],
  'i18-unknown-fields-on-entities.yml': [
    ['consumers[0].not_allowed', 'unknown field'],
    ['consumers[1].basicauth_credentials[0].extra_field', 'unknown field'],
    ['services[0].routes[0].plugins[0].config.not_endpoint', 'unknown field'],
    ['services[0].routes[0].plugins[0].config.http_endpoint', 'required field missing'],
    ['services[1].plugins[0].config.deeply', 'unknown field'],
    ['services[1].plugins[0].config.host', 'required field missing'],
  ],
  'i19-top-level-unknown-key.yml': [['abnormal_extra_field', 'unknown field']],
  'i20-stream-route-and-service-mismatch.yml': [
    ['services[0].protocol', 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp'],
    ['services[0].routes[0]', "must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'"],
    ['services[1].path', 'value must be null'],
    ['services[1]', "failed conditional validation given value of field 'protocol'"],
    ['upstreams[0].host_header', 'expected a string'],
    ['upstreams[0].healthchecks.active.concurrency', 'value should be between 1 and 2147483648'],
    ['upstreams[1].targets[1].target', "Invalid target ('hostname:1.0'); not a valid hostname or ip address"],
    ['vaults[0].name', "vault 'vault-not-installed' is not installed"],
  ],
  'i21-duplicate-target-in-one-upstream.yml': [
    ['upstreams[0].targets[1]', "uniqueness violation: 'targets' entity with primary key set to '"],
  ],
  'i22-rate-limiting-period-order.yml': [
    ['plugins[0].config', 'The limit for hour(10.0) cannot be lower than the limit for second(20.0)'],
  ],
  'i23-unquoted-vault-reference.yml': [['services[0].plugins[0].config.key', 'expected a string']],
};

describe('Kong examples (test/kong-examples)', () => {
  it('index.md lists exactly the example files present', () => {
    const listed = [...read('index.md').matchAll(/^\| ([iv]\d\d-[^ |]+\.ya?ml) \|/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(files);
    expect(files.filter((f) => f.startsWith('v'))).toHaveLength(16);
    expect(files.filter((f) => f.startsWith('i'))).toHaveLength(23);
  });

  for (const f of files.filter((x) => x.startsWith('v'))) {
    it(`${f} is valid`, () => {
      expect(validateKongYaml(read(f))).toEqual([]);
    });
  }

  for (const f of files.filter((x) => x.startsWith('i'))) {
    it(`${f} is rejected with Kong's error`, () => {
      const errs = validateKongYaml(read(f));
      expect(errs.length).toBeGreaterThan(0);
      const expected = EXPECTED[f];
      expect(expected, `no expected error recorded for ${f}`).toBeDefined();
      for (const [path, fragment] of expected!) {
        expect(messages(errs)).toContainEqual(expect.stringContaining(fragment));
        expect(errs).toContainEqual({ path, message: expect.stringContaining(fragment) });
      }
    });
  }
});

// --- helpers for focused tests --------------------------------------------------------

type Doc = Record<string, unknown>;
const doc = (extra: Doc): Doc => ({ _format_version: '3.0', ...extra });
const pluginDoc = (name: string, config?: unknown, extra: Doc = {}) =>
  doc({ plugins: [{ name, ...(config === undefined ? {} : { config }), ...extra }] });
const check = (d: Doc, opts?: Parameters<typeof validateKongConfig>[1]) => validateKongConfig(d, opts);
const expectValid = (d: Doc) => expect(check(d)).toEqual([]);
const expectError = (d: Doc, path: string, fragment: string, opts?: Parameters<typeof validateKongConfig>[1]) =>
  expect(check(d, opts)).toContainEqual({ path, message: expect.stringContaining(fragment) });

describe('plugin configs edgegen emits', () => {
  it('key-auth', () => {
    expectValid(pluginDoc('key-auth'));
    expectValid(pluginDoc('key-auth', { key_names: ['apikey', 'x-api-key'], hide_credentials: true, realm: 'edge' }));
    expectError(pluginDoc('key-auth', { key_names: ['api key'] }), 'plugins[0].config.key_names[0]', "bad header name 'api key'");
    expectError(pluginDoc('key-auth', { hide_credentials: 'yes' }), 'plugins[0].config.hide_credentials', 'expected a boolean');
    expectError(pluginDoc('key-auth', {}, { protocols: ['tcp'] }), 'plugins[0].protocols[0]', 'expected one of: grpc, grpcs, http, https');
    // key-auth can never be consumer-scoped
    expectError(doc({ consumers: [{ username: 'a' }], plugins: [{ name: 'key-auth', consumer: 'a' }] }), 'plugins[0].consumer', 'value must be null');
    expectError(doc({ consumers: [{ username: 'a', plugins: [{ name: 'key-auth' }] }] }), 'consumers[0].plugins[0]', 'cannot be configured on a consumer');
  });

  it('jwt', () => {
    expectValid(pluginDoc('jwt', { claims_to_verify: ['exp'], maximum_expiration: 3600, key_claim_name: 'iss' }));
    expectError(pluginDoc('jwt', { claims_to_verify: ['iat'] }), 'plugins[0].config.claims_to_verify[0]', 'expected one of: exp, nbf');
    expectError(pluginDoc('jwt', { claims_to_verify: ['nbf'], maximum_expiration: 60 }), 'plugins[0].config.claims_to_verify', 'expected to contain: exp');
    expectError(pluginDoc('jwt', { maximum_expiration: 31536001 }), 'plugins[0].config.maximum_expiration', 'value should be between 0 and 31536000');
    expectError(doc({ consumers: [{ username: 'a', jwt_secrets: [{ key: 'k', algorithm: 'RS256' }] }] }), 'consumers[0].jwt_secrets[0].rsa_public_key', 'required field missing');
  });

  it('rate-limiting (local)', () => {
    expectValid(pluginDoc('rate-limiting', { minute: 60, hour: 1000, policy: 'local', limit_by: 'ip' }));
    expectError(pluginDoc('rate-limiting', { policy: 'local' }), 'plugins[0]', "at least one of these fields must be non-empty: 'config.second'");
    expectError(pluginDoc('rate-limiting', { second: 20, hour: 10 }), 'plugins[0].config', 'The limit for hour(10.0) cannot be lower than the limit for second(20.0)');
    expectError(pluginDoc('rate-limiting', { minute: 0 }), 'plugins[0].config.minute', 'value must be greater than 0');
    expectError(pluginDoc('rate-limiting', { minute: 5, sync_rate: 1 }), 'plugins[0].config', 'sync_rate can only be used with the redis policy');
    expectError(pluginDoc('rate-limiting', { minute: 5, limit_by: 'header' }), 'plugins[0].config.header_name', 'required field missing');
    expectError(pluginDoc('rate-limiting', { minute: 5, policy: 'cluster' }), 'plugins[0].config.policy', 'expected one of: local, redis');
    expect(check(pluginDoc('rate-limiting', { minute: 5, policy: 'cluster' }), { dbless: false })).toEqual([]);
  });

  it('rate-limiting (redis)', () => {
    const redis = { host: 'redis', port: 6379, password: '{vault://env/redis-password}', timeout: 2000, database: 0 };
    expectValid(pluginDoc('rate-limiting', { second: 10, policy: 'redis', redis, sync_rate: 0.5 }));
    // deprecated flat aliases still work in 3.9
    expectValid(pluginDoc('rate-limiting', { second: 10, policy: 'redis', redis_host: 'redis', redis_port: 6380 }));
    expectError(pluginDoc('rate-limiting', { second: 10, policy: 'redis' }), 'plugins[0].config.redis.host', 'required field missing');
    expectError(pluginDoc('rate-limiting', { second: 10, policy: 'redis', redis: { host: 'r', tls: true } }), 'plugins[0].config.redis.tls', 'unknown field');
    expectError(pluginDoc('rate-limiting', { second: 10, policy: 'redis', redis: { host: 'r:6379' } }), 'plugins[0].config.redis.host', 'must not have a port');
    expectError(pluginDoc('rate-limiting', { second: 10, policy: 'redis', redis_host: 'a', redis: { host: 'b' } }), 'plugins[0].config.redis_host', 'both deprecated and new field are used but their values mismatch');
    expectError(pluginDoc('rate-limiting', { second: 10, policy: 'redis', redis: { host: 'r' }, sync_rate: 0.01 }), 'plugins[0].config', 'sync_rate must be greater than 0.02');
  });

  it('proxy-cache', () => {
    expectValid(pluginDoc('proxy-cache', { strategy: 'memory', cache_ttl: 30, content_type: ['application/json', 'application/json; charset=utf-8'] }));
    expectError(pluginDoc('proxy-cache', {}), 'plugins[0].config.strategy', 'required field missing');
    expectError(pluginDoc('proxy-cache', { strategy: 'redis' }), 'plugins[0].config.strategy', 'expected one of: memory');
    expectError(pluginDoc('proxy-cache', { strategy: 'memory', memory: { dictionary_name: 'edge_cache' } }), 'plugins[0]', "missing shared dict 'edge_cache'");
    expect(check(pluginDoc('proxy-cache', { strategy: 'memory', memory: { dictionary_name: 'edge_cache' } }), { sharedDicts: ['edge_cache'] })).toEqual([]);
    expectError(pluginDoc('proxy-cache', { strategy: 'memory', response_code: [99] }), 'plugins[0].config.response_code[0]', 'value should be between 100 and 900');
  });

  it('cors', () => {
    expectValid(pluginDoc('cors', { origins: ['*', 'https://app\\.example\\.com'], methods: ['GET', 'POST'], credentials: true, max_age: 3600 }));
    expectError(pluginDoc('cors', { origins: ['https://(unclosed'] }), 'plugins[0].config.origins[0]', "'https://(unclosed' is not a valid regex");
    expectError(pluginDoc('cors', { methods: ['get'] }), 'plugins[0].config.methods[0]', 'expected one of: GET, HEAD');
    expectError(pluginDoc('cors', { allow_origin_absent: true }), 'plugins[0].config.allow_origin_absent', 'unknown field');
  });

  it('request-transformer', () => {
    expectValid(pluginDoc('request-transformer', { add: { headers: ['X-Edge:1', 'X-From:$(headers.host)'] }, remove: { headers: ['X-Internal'] }, rename: { headers: ['X-A:X-B'] }, replace: { uri: '/v2' } }));
    expectError(pluginDoc('request-transformer', { add: { headers: ['X Edge:1'] } }), 'plugins[0].config.add.headers[0]', "'X Edge' is not a valid header");
    expectError(pluginDoc('request-transformer', { add: { headers: ['X-Edge'] } }), 'plugins[0].config.add.headers[0]', 'invalid value: X-Edge');
    expectError(pluginDoc('request-transformer', { add: { querystring: ['q'] } }), 'plugins[0].config.add.querystring[0]', "key 'q' has no value");
    expectError(pluginDoc('request-transformer', { http_method: 'post' }), 'plugins[0].config.http_method', 'invalid value: post');
  });

  it('response-transformer', () => {
    expectValid(pluginDoc('response-transformer', { add: { headers: ['X-Edge:1'], json: ['a:1'], json_types: ['number'] }, remove: { headers: ['Server'] } }));
    expectError(pluginDoc('response-transformer', { add: { json_types: ['int'] } }), 'plugins[0].config.add.json_types[0]', 'expected one of: boolean, number, string');
    expectError(pluginDoc('response-transformer', { rename: { headers: ['A:B C'] } }), 'plugins[0].config.rename.headers[0]', "'B C' is not a valid header");
    expectError(pluginDoc('response-transformer', { add: { uri: '/x' } }), 'plugins[0].config.add.uri', 'unknown field');
  });

  it('correlation-id', () => {
    expectValid(pluginDoc('correlation-id', { header_name: 'X-Request-ID', generator: 'uuid#counter', echo_downstream: true }));
    expectValid(pluginDoc('correlation-id', { header_name: null }));
    expectError(pluginDoc('correlation-id', { generator: 'ulid' }), 'plugins[0].config.generator', 'expected one of: uuid, uuid#counter, tracker');
    expectError(pluginDoc('correlation-id', { echo_downstream: 'true' }), 'plugins[0].config.echo_downstream', 'expected a boolean');
  });

  it('prometheus', () => {
    expectValid(pluginDoc('prometheus', { status_code_metrics: true, latency_metrics: true, upstream_health_metrics: true }));
    expectError(pluginDoc('prometheus', { wasm_metrics: true }), 'plugins[0].config.wasm_metrics', 'unknown field');
    expectError(pluginDoc('prometheus', { per_consumer: 1 }), 'plugins[0].config.per_consumer', 'expected a boolean');
  });

  it('two plugins with the same name in the same scope collide', () => {
    const d = doc({ services: [{ name: 's', host: 'h', plugins: [{ name: 'cors' }, { name: 'cors' }] }] });
    expectError(d, 'services[0].plugins[1]', "uniqueness violation: 'plugins' entity with primary key set to '");
    expectValid(doc({ services: [{ name: 's', host: 'h', plugins: [{ name: 'cors' }], routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'cors' }] }] }] }));
  });

  it('other bundled and unknown plugins', () => {
    expectError(pluginDoc('file-log', { path: '/tmp/x' }), 'plugins[0].name', "plugin 'file-log' is bundled with Kong 3.9 but edgegen's validator has no schema");
    expectError(pluginDoc('oidc'), 'plugins[0].name', "plugin 'oidc' not enabled");
  });
});

describe('entities and declarative rules', () => {
  const svc = (extra: Doc = {}) => ({ name: 's', host: 'example.com', ...extra });

  it('rejects coerced types and empty strings', () => {
    expectError(doc({ services: [svc({ port: '80' })] }), 'services[0].port', 'expected an integer');
    expectError(doc({ services: [svc({ name: '' })] }), 'services[0].name', 'length must be at least 1');
    expectError(doc({ services: [svc({ name: 'my service' })] }), 'services[0].name', "invalid value 'my service': the only accepted ascii characters");
    expectError(doc({ services: [svc({ host: 'example.com:80' })] }), 'services[0].host', 'must not have a port');
  });

  it('checks the url shorthand and protocol-dependent service fields', () => {
    expectValid(doc({ services: [{ name: 's', url: 'https://example.com:8443/base' }] }));
    expectError(doc({ services: [{ name: 's', url: 'ftp://example.com' }] }), 'services[0].protocol', 'expected one of: grpc');
    expectError(doc({ services: [svc({ tls_verify: true })] }), 'services[0].tls_verify', 'value must be null');
  });

  it('checks route matching rules', () => {
    const route = (r: Doc) => doc({ services: [svc({ routes: [{ name: 'r', ...r }] })] });
    expectValid(route({ hosts: ['*.example.com', 'example.*', 'api.example.com:8000'], methods: ['GET'], headers: { 'x-version': ['v1', '~*v[0-9]'] } }));
    expectValid(route({ protocols: ['tcp'], destinations: [{ port: 5432 }] }));
    expectValid(route({ protocols: ['tls_passthrough'], snis: ['db.example.com'] }));
    expectError(route({ paths: ['/a/./b'] }), 'services[0].routes[0].paths[0]', "non-normalized path, consider use '/a/b' instead");
    expectError(route({ paths: ['~/v(\\d+'] }), 'services[0].routes[0].paths[0]', "invalid regex: '/v(\\d+' (PCRE returned:");
    expectError(route({ paths: ['~/(?!admin)'] }), 'services[0].routes[0]', 'Router Expression failed validation');
    expectError(route({ hosts: ['a.*.com'] }), 'services[0].routes[0].hosts[0]', 'invalid wildcard: must be placed at leftmost or rightmost label');
    expectError(route({ methods: ['get'] }), 'services[0].routes[0].methods[0]', 'invalid value: get');
    expectError(route({ paths: ['/'], headers: { host: ['x'] } }), 'services[0].routes[0].headers.host', "cannot contain 'host' header");
    expectError(route({ protocols: ['http'], paths: ['/'], snis: ['a.com'] }), 'services[0].routes[0]', "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'");
    expectError(route({ protocols: ['http', 'tcp'], paths: ['/'] }), 'services[0].routes[0].protocols', "these sets are mutually exclusive: ('http', 'https'), ('tcp', 'tls', 'udp')");
    expectError(route({ protocols: ['grpc'], paths: ['/'], strip_path: true }), 'services[0].routes[0].strip_path', "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'");
    expectError(route({ expression: 'http.path == "/"' }), 'services[0].routes[0].expression', 'unknown field');
  });

  it('route names are unique across services', () => {
    const d = doc({ services: [svc({ routes: [{ name: 'r', paths: ['/a'] }] }), svc({ name: 't', routes: [{ name: 'r', paths: ['/b'] }] })] });
    expectError(d, 'services[1].routes[0]', "uniqueness violation: 'routes' entity with name set to 'r' already declared");
  });

  it('resolves references by endpoint key or id, never by object or custom_id', () => {
    expectValid(doc({ services: [svc()], routes: [{ name: 'r', service: 's', paths: ['/'] }] }));
    const id = '5e4b7f7e-0000-4000-8000-000000000001';
    expectValid(doc({ services: [svc({ id })], routes: [{ name: 'r', service: id, paths: ['/'] }] }));
    expectError(doc({ services: [svc()], routes: [{ name: 'r', service: { name: 's' }, paths: ['/'] }] }), 'routes[0].service', 'expected a string');
    expectError(doc({ consumers: [{ custom_id: 'c1' }], acls: [{ consumer: 'c1', group: 'g' }] }), 'acls[0]', "invalid reference 'consumer: c1' (no such entry in 'consumers')");
    expectError(doc({ services: [svc({ routes: [{ name: 'r', paths: ['/'], service: 's' }] })] }), 'services[0].routes[0].service', 'value must be null');
  });

  it('checks consumers and credentials', () => {
    expectValid(doc({ consumers: [{ username: 'a', keyauth_credentials: [{ key: 'k1' }], acls: [{ group: 'g' }], basicauth_credentials: [{ username: 'a', password: 'p' }] }] }));
    expectError(doc({ consumers: [{ tags: ['x'] }] }), 'consumers[0]', "at least one of these fields must be non-empty: 'custom_id', 'username'");
    expectError(doc({ consumers: [{ username: 'a', keyauth_credentials: [{ key: 'k' }] }, { username: 'b', keyauth_credentials: [{ key: 'k' }] }] }), 'consumers[1].keyauth_credentials[0]', "uniqueness violation: 'keyauth_credentials' entity with key set to 'k' already declared");
    expectError(doc({ consumers: [{ username: 'a', acls: [{ group: 'g' }, { group: 'g' }] }] }), 'consumers[0].acls[1]', "uniqueness violation: 'acls' entity with primary key set to '");
  });

  it('allows vault references only in referenceable fields', () => {
    expectError(doc({ consumers: [{ username: 'a', keyauth_credentials: [{ key: '{vault://env/a-key}' }] }] }), 'consumers[0].keyauth_credentials[0].key', 'not referenceable');
    expectValid(pluginDoc('http-log', { http_endpoint: '{vault://env/log-url}' }));
  });

  it('checks upstreams and targets', () => {
    expectValid(doc({ upstreams: [{ name: 'up', algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'x-user', targets: [{ target: '10.0.0.1:8080' }, { target: '[::1]:80' }] }] }));
    expectError(doc({ upstreams: [{ name: '10.0.0.1' }] }), 'upstreams[0].name', "Invalid name ('10.0.0.1'); no ip addresses allowed");
    expectError(doc({ upstreams: [{ name: 'up', hash_on: 'header' }] }), 'upstreams[0].hash_on_header', 'required field missing');
    expectError(doc({ upstreams: [{ name: 'up', slots: 5 }] }), 'upstreams[0].slots', 'value should be between 10 and 65536');
    expectError(doc({ targets: [{ target: 'a:1' }] }), 'targets[0].upstream', 'required field missing');
  });

  it('checks certificates with node:crypto', () => {
    const v14 = validateKongYaml(read('v14-certificate-with-nested-snis.yml'));
    expect(v14).toEqual([]);
    const text = read('v14-certificate-with-nested-snis.yml');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const otherKey = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString().trim().split('\n').map((l) => `    ${l}`).join('\n');
    const swapped = text.replace(/ {4}-----BEGIN RSA PRIVATE KEY-----[\s\S]*-----END RSA PRIVATE KEY-----/, otherKey);
    expect(validateKongYaml(swapped)).toContainEqual({ path: 'certificates[0]', message: 'certificate does not match key' });
    expectError(doc({ certificates: [{ cert: 'nope', key: 'nope' }] }), 'certificates[0].cert', 'invalid certificate');
  });

  it('parses YAML like libyaml 1.1', () => {
    expect(validateKongYaml('_format_version: 3.0\n')).toContainEqual({ path: '_format_version', message: 'expected a string' });
    expect(validateKongYaml('_format_version: "3.0"\n_transform: yes\nservices:\n')).toEqual([]);
    expect(validateKongYaml('_format_version: "3.0"\nservices: [\n')[0]!.message).toContain('failed parsing');
    expectError(doc({ _workspace: 'default' }), '_workspace', 'unknown field');
    expectError(doc({ consumer_groups: [] }), 'consumer_groups', 'unknown field');
    expectError(doc({ key_sets: [{ name: 'k' }] }), 'key_sets', 'does not model it');
  });
});
