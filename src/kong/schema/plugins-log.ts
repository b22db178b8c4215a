// Logging plugins used by Kong's own examples: http-log, tcp-log, udp-log, loggly (3.9.3).
import { headerName, host, int, map, num, parseUrl, port, record, set, str, url, bool } from './fields.js';
import { luaCode, type PluginSchema } from './plugin-types.js';
import { isRec } from './types.js';

const queue = record({
  max_batch_size: int({ default: 1, between: [1, 1000000] }),
  max_coalescing_delay: num({ default: 1, between: [0, 3600] }),
  max_entries: int({ default: 10000, between: [1, 1000000] }),
  max_bytes: int(),
  max_retry_time: num({ default: 60 }),
  initial_retry_delay: num({ default: 0.01, between: [0.001, 1000000] }),
  max_retry_delay: num({ default: 60, between: [0.001, 1000000] }),
  concurrency_limit: int({ default: 1, oneOf: [-1, 1] }),
});

export const httpLog: PluginSchema = {
  config: record(
    {
      http_endpoint: url({ required: true, referenceable: true }),
      method: str({ default: 'POST', oneOf: ['POST', 'PUT', 'PATCH'] }),
      content_type: str({ default: 'application/json', oneOf: ['application/json', 'application/json; charset=utf-8'] }),
      timeout: num({ default: 10000 }),
      keepalive: num({ default: 60000 }),
      retry_count: int(),
      queue_size: int(),
      flush_timeout: num(),
      headers: map(
        headerName({
          matchNone: [
            { re: /^host$/i, err: "cannot contain 'Host' header" },
            { re: /^content-length$/i, err: "cannot contain 'Content-Length' header" },
            { re: /^content-type$/i, err: "cannot contain 'Content-Type' header" },
          ],
        }),
        str({ referenceable: true }),
      ),
      queue,
      custom_fields_by_lua: luaCode(),
    },
    {
      custom: (c) => {
        const userinfo = typeof c.http_endpoint === 'string' ? parseUrl(c.http_endpoint).userinfo : undefined;
        if (userinfo && isRec(c.headers) && Object.keys(c.headers).some((h) => h.toLowerCase() === 'authorization')) {
          return "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed";
        }
        return undefined;
      },
    },
  ),
};

export const tcpLog: PluginSchema = {
  config: record({
    host: host({ required: true }),
    port: port({ required: true }),
    timeout: num({ default: 10000 }),
    keepalive: num({ default: 60000 }),
    tls: bool({ required: true, default: false }),
    tls_sni: str(),
    custom_fields_by_lua: luaCode(),
  }),
};

export const udpLog: PluginSchema = {
  config: record({
    host: host({ required: true }),
    port: port({ required: true }),
    timeout: num({ default: 10000 }),
    custom_fields_by_lua: luaCode(),
  }),
};

const severity = () =>
  str({ default: 'info', oneOf: ['debug', 'info', 'notice', 'warning', 'err', 'crit', 'alert', 'emerg'] });

export const loggly: PluginSchema = {
  config: record({
    host: host({ default: 'logs-01.loggly.com' }),
    port: port({ default: 514 }),
    key: str({ required: true, referenceable: true }),
    tags: set(str(), { default: ['kong'] }),
    log_level: severity(),
    successful_severity: severity(),
    client_errors_severity: severity(),
    server_errors_severity: severity(),
    timeout: num({ default: 10000 }),
    custom_fields_by_lua: luaCode(),
  }),
};
