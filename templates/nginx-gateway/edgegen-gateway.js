import crypto from 'crypto';
import creds from './edgegen-credentials.js';

// Gateway policies of the routes, by the id each nginx location sets in $edgegen_auth_policy.
var POLICIES = __POLICIES__;

// njs runs one VM per request, so this memo holds the current request's authentication result.
var result = null;

function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }

function allow(consumer, credential) {
  var c = has(creds.consumers, consumer) ? creds.consumers[consumer] : {};
  return { state: 'ok', consumer: consumer, customId: c.customId || '', credential: credential, body: '', challenge: '' };
}

function deny(body, challenge) {
  return { state: 'deny', consumer: '', customId: '', credential: '', body: body, challenge: challenge };
}

// First value and number of occurrences of a request header (names compared case-insensitively).
function header(r, name) {
  var n = name.toLowerCase(), raw = r.rawHeadersIn, first, count = 0;
  for (var i = 0; i < raw.length; i++) {
    if (raw[i][0].toLowerCase() === n) { if (count === 0) first = raw[i][1]; count++; }
  }
  return { value: first, count: count };
}

// Kong's kong.response.error body.
function kongError(r, message) { return JSON.stringify({ message: message, request_id: r.variables.request_id }); }

// Kong key-auth: header, then query argument, per key name in order.
function keyAuth(r, p) {
  var key;
  for (var i = 0; i < p.names.length; i++) {
    var h = header(r, p.names[i]), v = h.value;
    if (h.count > 1) return deny(kongError(r, 'Duplicate API key found'), 'Key');
    if (v === undefined && p.query) {
      v = r.args[p.names[i]];
      if (Array.isArray(v)) return deny(kongError(r, 'Duplicate API key found'), 'Key');
    }
    if (typeof v === 'string') { key = v; break; }
  }
  if (!key) return deny(kongError(r, 'No API key found in request'), 'Key');
  var digest = crypto.createHash('sha256').update(key).digest('hex');
  if (!has(creds.keys, digest)) return deny(kongError(r, 'Unauthorized'), 'Key');
  return allow(creds.keys[digest], '');
}

var ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA'];

function b64(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  return Buffer.from(s, 'base64url');
}

function parse(buf) {
  if (buf === null) throw new Error('base64');
  return JSON.parse(buf.toString());
}

// Kong jwt plugin: Bearer token from the configured header, key looked up by the key claim, then exp/nbf.
function jwtAuth(r, p) {
  var plain = 'Bearer', invalid = 'Bearer error="invalid_token"';
  var h = header(r, p.header), m = h.value === undefined ? null : /\s*[Bb]earer\s+(.+)/.exec(h.value);
  if (!m) return deny(JSON.stringify({ message: 'Unauthorized' }), plain);
  var bad = function (why) { return deny(JSON.stringify({ message: why }), invalid); };
  var token = m[1], d1 = token.indexOf('.'), d2 = d1 < 0 ? -1 : token.indexOf('.', d1 + 1);
  if (d2 < 0) return bad('Bad token; invalid JSON');
  var h64 = token.slice(0, d1), c64 = token.slice(d1 + 1, d2), hdr, claims;
  try { hdr = parse(b64(h64)); claims = parse(b64(c64)); } catch (e) { return bad('Bad token; invalid JSON'); }
  var sig = b64(token.slice(d2 + 1));
  if (!hdr || typeof hdr.alg !== 'string' || ALGS.indexOf(hdr.alg) < 0) return bad('Bad token; invalid alg');
  if (claims === null || claims === false) return bad('Bad token; invalid claims');
  if (sig === null) return bad('Bad token; invalid signature');
  var fromClaims = typeof claims === 'object' ? claims[p.claim] : undefined;
  var key = fromClaims === undefined || fromClaims === false ? hdr[p.claim] : fromClaims;
  if (key === undefined || key === false) return bad("No mandatory '" + p.claim + "' in claims");
  if (key === '') return bad("Invalid '" + p.claim + "' in claims");
  if (typeof key !== 'string' || !has(creds.jwt, 'k:' + key)) return bad("No credentials found for given '" + p.claim + "'");
  var cred = creds.jwt['k:' + key];
  if (hdr.alg !== cred.alg) return bad('Invalid algorithm');
  if (hmac(cred.alg, cred.secret, h64 + '.' + c64) !== sig.toString('hex')) return bad('Invalid signature');
  var errors = {}, failed = false, now = Math.floor(Date.now() / 1000);
  for (var i = 0; i < p.claims.length; i++) {
    var name = p.claims[i], v = typeof claims === 'object' ? claims[name] : undefined;
    var err = typeof v !== 'number' ? 'must be a number'
      : name === 'exp' && v <= now ? 'token expired' : name === 'nbf' && v > now ? 'token not valid yet' : '';
    if (err) { errors[name] = err; failed = true; }
  }
  if (failed) return deny(JSON.stringify(errors), invalid);
  return allow(cred.consumer, key);
}

function hmac(alg, secret, data) {
  if (alg === 'HS256') return crypto.createHmac('sha256', secret).update(data).digest('hex');
  return Buffer.from(hmac64(alg === 'HS384', Buffer.from(secret), Buffer.from(data))).toString('hex');
}

// SHA-384/512 in 32-bit halves: njs 0.7's crypto module has md5, sha1 and sha256 only.
var KHEX = '__K512__';
var IV512 = '6a09e667f3bcc908bb67ae8584caa73b3c6ef372fe94f82ba54ff53a5f1d36f1510e527fade682d19b05688c2b3e6c1f1f83d9abfb41bd6b5be0cd19137e2179';
var IV384 = 'cbbb9d5dc1059ed8629a292a367cd5079159015a3070dd17152fecd8f70e593967332667ffc00b318eb44a8768581511db0c2e0d64f98fa747b5481dbefa4fa4';

function words(hex) {
  var out = new Int32Array(hex.length / 8);
  for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 8, 8), 16) | 0;
  return out;
}

var K = null;

function sha64(bytes, is384) {
  if (K === null) K = words(KHEX);
  var H = words(is384 ? IV384 : IV512), W = new Int32Array(160), C = 4294967296;
  var len = bytes.length, n = Math.ceil((len + 17) / 128) * 128, m = new Uint8Array(n), i, lo;
  m.set(bytes);
  m[len] = 0x80;
  var bitsHi = Math.floor(len / 536870912), bitsLo = (len * 8) >>> 0;
  for (i = 0; i < 4; i++) { m[n - 8 + i] = (bitsHi >>> (24 - 8 * i)) & 255; m[n - 4 + i] = (bitsLo >>> (24 - 8 * i)) & 255; }
  for (var off = 0; off < n; off += 128) {
    for (i = 0; i < 32; i++) { var j = off + i * 4; W[i] = (m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3]; }
    for (i = 16; i < 80; i++) {
      var xh = W[(i - 15) * 2], xl = W[(i - 15) * 2 + 1];
      var s0h = ((xh >>> 1) | (xl << 31)) ^ ((xh >>> 8) | (xl << 24)) ^ (xh >>> 7);
      var s0l = ((xl >>> 1) | (xh << 31)) ^ ((xl >>> 8) | (xh << 24)) ^ ((xl >>> 7) | (xh << 25));
      xh = W[(i - 2) * 2]; xl = W[(i - 2) * 2 + 1];
      var s1h = ((xh >>> 19) | (xl << 13)) ^ ((xl >>> 29) | (xh << 3)) ^ (xh >>> 6);
      var s1l = ((xl >>> 19) | (xh << 13)) ^ ((xh >>> 29) | (xl << 3)) ^ ((xl >>> 6) | (xh << 26));
      lo = (W[(i - 16) * 2 + 1] >>> 0) + (s0l >>> 0) + (W[(i - 7) * 2 + 1] >>> 0) + (s1l >>> 0);
      W[i * 2] = (W[(i - 16) * 2] + s0h + W[(i - 7) * 2] + s1h + Math.floor(lo / C)) | 0;
      W[i * 2 + 1] = lo | 0;
    }
    var ah = H[0], al = H[1], bh = H[2], bl = H[3], ch = H[4], cl = H[5], dh = H[6], dl = H[7];
    var eh = H[8], el = H[9], fh = H[10], fl = H[11], gh = H[12], gl = H[13], hh = H[14], hl = H[15];
    for (i = 0; i < 80; i++) {
      var S1h = ((eh >>> 14) | (el << 18)) ^ ((eh >>> 18) | (el << 14)) ^ ((el >>> 9) | (eh << 23));
      var S1l = ((el >>> 14) | (eh << 18)) ^ ((el >>> 18) | (eh << 14)) ^ ((eh >>> 9) | (el << 23));
      var chh = (eh & fh) ^ (~eh & gh), chl = (el & fl) ^ (~el & gl);
      lo = (hl >>> 0) + (S1l >>> 0) + (chl >>> 0) + (K[i * 2 + 1] >>> 0) + (W[i * 2 + 1] >>> 0);
      var t1h = (hh + S1h + chh + K[i * 2] + W[i * 2] + Math.floor(lo / C)) | 0, t1l = lo | 0;
      var S0h = ((ah >>> 28) | (al << 4)) ^ ((al >>> 2) | (ah << 30)) ^ ((al >>> 7) | (ah << 25));
      var S0l = ((al >>> 28) | (ah << 4)) ^ ((ah >>> 2) | (al << 30)) ^ ((ah >>> 7) | (al << 25));
      var mjh = (ah & bh) ^ (ah & ch) ^ (bh & ch), mjl = (al & bl) ^ (al & cl) ^ (bl & cl);
      lo = (S0l >>> 0) + (mjl >>> 0);
      var t2h = (S0h + mjh + Math.floor(lo / C)) | 0, t2l = lo | 0;
      hh = gh; hl = gl; gh = fh; gl = fl; fh = eh; fl = el;
      lo = (dl >>> 0) + (t1l >>> 0); eh = (dh + t1h + Math.floor(lo / C)) | 0; el = lo | 0;
      dh = ch; dl = cl; ch = bh; cl = bl; bh = ah; bl = al;
      lo = (t1l >>> 0) + (t2l >>> 0); ah = (t1h + t2h + Math.floor(lo / C)) | 0; al = lo | 0;
    }
    var v = [ah, al, bh, bl, ch, cl, dh, dl, eh, el, fh, fl, gh, gl, hh, hl];
    for (i = 0; i < 16; i += 2) {
      lo = (H[i + 1] >>> 0) + (v[i + 1] >>> 0);
      H[i] = (H[i] + v[i] + Math.floor(lo / C)) | 0;
      H[i + 1] = lo | 0;
    }
  }
  var out = new Uint8Array(is384 ? 48 : 64);
  for (i = 0; i < out.length; i++) out[i] = (H[i >> 2] >>> (24 - 8 * (i & 3))) & 255;
  return out;
}

function hmac64(is384, key, data) {
  if (key.length > 128) key = sha64(key, is384);
  var inner = new Uint8Array(128 + data.length), outer = new Uint8Array(128 + (is384 ? 48 : 64)), i;
  for (i = 0; i < 128; i++) { var k = i < key.length ? key[i] : 0; inner[i] = k ^ 0x36; outer[i] = k ^ 0x5c; }
  inner.set(data, 128);
  outer.set(sha64(inner, is384), 128);
  return sha64(outer, is384);
}

function evaluate(r) {
  if (result === null) {
    try {
      var id = r.variables.edgegen_auth_policy, p = has(POLICIES, id) ? POLICIES[id] : null;
      result = p === null ? null : p.type === 'key' ? keyAuth(r, p) : jwtAuth(r, p);
    } catch (e) {
      r.error('edgegen auth: ' + e.message);
      result = null;
    }
    if (result === null) result = { state: 'error', consumer: '', customId: '', credential: '', body: kongError(r, 'An unexpected error occurred'), challenge: '' };
  }
  return result;
}

function auth(r) { return evaluate(r).state; }
function authBody(r) { return evaluate(r).body; }
function authChallenge(r) { return evaluate(r).challenge; }
function consumer(r) { return evaluate(r).consumer; }
function consumerCustomId(r) { return evaluate(r).customId; }
function credential(r) { return evaluate(r).credential; }

// The query string without the key-auth argument names (hideCredentials with key in query).
function argsWithoutKey(r) {
  var id = r.variables.edgegen_auth_policy, p = has(POLICIES, id) ? POLICIES[id] : { names: [] };
  return (r.variables.args || '').split('&').filter(function (kv) {
    return kv !== '' && p.names.indexOf(kv.split('=')[0]) < 0;
  }).join('&');
}

// Fixed rate-limit windows aligned to UTC like Kong's: the window number goes into the limit_req key.
function seconds(r) { return Math.floor(Number(r.variables.msec)); }
function windowSecond(r) { return String(seconds(r)); }
function windowMinute(r) { return String(Math.floor(seconds(r) / 60)); }
function windowHour(r) { return String(Math.floor(seconds(r) / 3600)); }
function resetMinute(r) { return String(60 - (seconds(r) % 60)); }
function resetHour(r) { return String(3600 - (seconds(r) % 3600)); }

// stub_status counters in the Prometheus text format (names as nginx-prometheus-exporter's).
function metrics(r) {
  r.subrequest('/nginx_status', function (res) {
    var m = /Active connections:\s*(\d+)\s+server accepts handled requests\s+(\d+)\s+(\d+)\s+(\d+)\s+Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)/
      .exec(res.responseBody || '');
    if (res.status !== 200 || !m) { r.return(502, 'stub_status unavailable\n'); return; }
    var rows = [
      ['nginx_connections_active', 'gauge', 'Active client connections', m[1]],
      ['nginx_connections_accepted', 'counter', 'Accepted client connections', m[2]],
      ['nginx_connections_handled', 'counter', 'Handled client connections', m[3]],
      ['nginx_http_requests_total', 'counter', 'Total http requests', m[4]],
      ['nginx_connections_reading', 'gauge', 'Connections where NGINX is reading the request header', m[5]],
      ['nginx_connections_writing', 'gauge', 'Connections where NGINX is writing the response back to the client', m[6]],
      ['nginx_connections_waiting', 'gauge', 'Idle client connections', m[7]],
      ['nginx_up', 'gauge', 'Status of the last metric scrape', '1'],
    ];
    r.headersOut['Content-Type'] = 'text/plain; version=0.0.4; charset=utf-8';
    r.return(200, rows.map(function (x) { return '# HELP ' + x[0] + ' ' + x[2] + '\n# TYPE ' + x[0] + ' ' + x[1] + '\n' + x[0] + ' ' + x[3] + '\n'; }).join(''));
  });
}

export default {
  auth, authBody, authChallenge, consumer, consumerCustomId, credential, argsWithoutKey,
  windowSecond, windowMinute, windowHour, resetMinute, resetHour, metrics, hmac,
};
