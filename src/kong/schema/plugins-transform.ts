// request-transformer and response-transformer config schemas (Kong 3.9.3).
import { httpMethod, protocols, record, str } from './fields.js';
import { list, pairHeaderCheck, protocolsHttp, type PluginSchema } from './plugin-types.js';

/**
 * Approximates `pl.template.compile` on a value: every `$(` must close and hold a
 * non-empty expression. The Lua expression itself is not parsed.
 */
function templateError(value: string): string | undefined {
  let i = value.indexOf('$(');
  while (i >= 0) {
    let depth = 0;
    let j = i + 1;
    for (; j < value.length; j++) {
      if (value[j] === '(') depth++;
      else if (value[j] === ')' && --depth === 0) break;
    }
    if (j >= value.length) return `unbalanced '$(' in template`;
    if (value.slice(i + 2, j).trim() === '') return `empty '$()' expression in template`;
    i = value.indexOf('$(', j);
  }
  return undefined;
}

/** request-transformer `check_for_value`: "name:value" with a compilable value template. */
function checkForValue(entry: string): string | undefined {
  const m = /^([^:]+):*(.*)$/s.exec(entry);
  const name = m?.[1] ?? '';
  const value = m?.[2] ?? '';
  if (!m || value === '') return `key '${name}' has no value`;
  const err = templateError(value);
  return err ? `value '${value}' is not in supported format, error:${err}` : undefined;
}

const COLON = /^[^:]+:.*$/s;

const strings = () => list(str());
const headerNames = () => list(str({ custom: pairHeaderCheck(false) }));
const colonStrings = () => list(str({ custom: checkForValue }));
const colonHeaderValues = () => list(str({ match: COLON, custom: pairHeaderCheck(false) }));
const colonHeaders = () => list(str({ match: COLON, custom: pairHeaderCheck(true) }));

export const requestTransformer: PluginSchema = {
  protocols: protocols(),
  config: record({
    http_method: httpMethod(),
    remove: record({ body: strings(), headers: headerNames(), querystring: strings() }),
    rename: record({ body: colonStrings(), headers: colonHeaders(), querystring: colonStrings() }),
    replace: record({ body: colonStrings(), headers: colonHeaderValues(), querystring: colonStrings(), uri: str() }),
    add: record({ body: colonStrings(), headers: colonHeaderValues(), querystring: colonStrings() }),
    append: record({ body: colonStrings(), headers: colonHeaderValues(), querystring: colonStrings() }),
  }),
};

const colonPlain = () => list(str({ match: COLON }));
const jsonTypes = () => list(str({ oneOf: ['boolean', 'number', 'string'] }));
const colonRecord = () => record({ json: colonPlain(), json_types: jsonTypes(), headers: colonPlain() });

export const responseTransformer: PluginSchema = {
  protocols: protocolsHttp(),
  config: record({
    remove: record({ json: strings(), headers: strings() }),
    rename: record({ json: colonPlain(), headers: list(str({ match: COLON, custom: pairHeaderCheck(true) })) }),
    replace: colonRecord(),
    add: colonRecord(),
    append: colonRecord(),
  }),
};
