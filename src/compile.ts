import type { Diagnostic } from './diagnostics.js';
import { emitHaproxy } from './emit/haproxy/emit.js';
import { emitKong } from './emit/kong/emit.js';
import { envFile, kongEnvironment } from './emit/kong/env.js';
import { KONG_ROUTER_FLAVOR } from './emit/kong/routes.js';
import type { Env } from './emit/kong/secrets.js';
import { emitNginxProxy } from './emit/nginx/proxy.js';
import { emitNginxGateway, nginxGatewayProblems } from './emit/nginx/gateway.js';
import { EmitError } from './emit/text.js';
import { validateKongConfig } from './kong/schema/index.js';
import { lintModel } from './lint/index.js';
import { specPlan, type AddressPlan } from './model/plan.js';
import { resolve } from './model/resolve.js';
import type { Model } from './model/types.js';
import { parseSpecText, type ParsedSpec } from './spec/parse.js';
import { validateSpec } from './spec/validate.js';

export interface OutputFile { path: string; content: string; mode: number }

export interface LoadResult { model?: Model; parsed?: ParsedSpec; diagnostics: Diagnostic[] }

export interface TargetOverrides { nginx?: string; haproxy?: string }

/** parse -> validate -> resolve. No disk access. */
export function loadSpec(text: string, file: string, targets: TargetOverrides = {}): LoadResult {
  const parsed = parseSpecText(text, file);
  if (!parsed.ok) return { diagnostics: parsed.diagnostics };
  const valid = validateSpec(parsed.spec);
  if (!valid.ok) return { parsed: parsed.spec, diagnostics: valid.diagnostics };
  const spec = { ...valid.spec, targets: { ...valid.spec.targets, ...targets } };
  return { model: resolve(spec, parsed.spec), parsed: parsed.spec, diagnostics: [] };
}

export interface CompileOptions {
  env?: Env;
  targets?: TargetOverrides;
  /** Address plan factory; default: the spec's own addresses. */
  plan?: (model: Model) => AddressPlan;
  /** Run the lint rules; error-level findings stop the build (default true). */
  lint?: boolean;
}

export interface CompileResult { ok: boolean; diagnostics: Diagnostic[]; files: OutputFile[]; model?: Model }

/** Environment references that must resolve for this build (Kong cannot read them itself). */
function secretDiagnostics(model: Model, parsed: ParsedSpec, env: Env): Diagnostic[] {
  const out: Diagnostic[] = [];
  model.consumers.forEach((c, i) => {
    const refs: [(string | number)[], string][] = [];
    c.keys.forEach((k, j) => { if (typeof k !== 'string') refs.push([['gateway', 'consumers', i, 'keys', j, 'env'], k.env]); });
    c.jwt.forEach((k, j) => { if (typeof k.secret !== 'string') refs.push([['gateway', 'consumers', i, 'jwt', j, 'secret', 'env'], k.secret.env]); });
    for (const [path, name] of refs) {
      const v = env[name];
      if (v === undefined || v === '') {
        out.push({ file: parsed.file, ...parsed.locate(path), severity: 'error', code: 'secret', path: path.join('.'),
          message: `environment variable ${name} is not set; consumer "${c.name}" needs it`, hint: `export ${name}=... before running edgegen` });
      } else if (!/^[\x21-\x7E]{1,512}$/.test(v)) {
        out.push({ file: parsed.file, ...parsed.locate(path), severity: 'error', code: 'secret', path: path.join('.'),
          message: `environment variable ${name} must be printable ASCII without spaces (1-512 characters)` });
      }
    }
  });
  return out;
}

/** Policies the chosen gateway engine cannot express: an error at the spec line, never a silently dropped policy. */
export function engineDiagnostics(model: Model, parsed: ParsedSpec): Diagnostic[] {
  if (model.gateway?.settings.engine !== 'nginx') return [];
  return nginxGatewayProblems(model).map((p) => ({
    file: parsed.file, ...parsed.locate(p.path, true), severity: 'error' as const, code: 'engine', path: p.path.join('.'),
    message: `the nginx gateway engine cannot express this: ${p.message}`, hint: p.hint,
  }));
}

/** Emit every layer's files for a model (instance 0: in the spec plan all instances share one file). */
export function emitAll(model: Model, plan: AddressPlan, env: Env, instance = 0): OutputFile[] {
  const files: OutputFile[] = [];
  if (model.loadBalancer) for (const f of emitHaproxy(model, plan, { instance })) files.push({ path: `haproxy/${f.path}`, content: f.content, mode: 0o644 });
  if (model.gateway?.settings.engine === 'nginx') files.push(...emitNginxGateway(model, plan, { instance, env }));
  else if (model.gateway) {
    const kong = emitKong(model, plan, env);
    // Self-check against Kong 3.9's rules (on the data; the tests also check the serialized text): an emitter bug must never reach a gateway.
    const problems = validateKongConfig(kong.config, { routerFlavor: KONG_ROUTER_FLAVOR });
    if (problems.length) throw new EmitError(`emitted kong.yaml breaks Kong 3.9 rules (an edgegen bug, please report it): ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    files.push({ path: 'kong/kong.yaml', content: kong.yaml, mode: kong.holdsSecrets ? 0o600 : 0o644 });
    const vars = kongEnvironment(model, plan, instance, '/kong/declarative/kong.yaml');
    files.push({ path: 'kong/kong.env', content: envFile(vars, `generated by edgegen from ${model.source}: settings for the official kong image`), mode: 0o644 });
  }
  if (model.proxy) for (const f of emitNginxProxy(model, plan, { instance })) files.push({ path: `nginx/${f.path}`, content: f.content, mode: 0o644 });
  return files;
}

/** Compile a spec text into output files and diagnostics, without touching the disk. */
export function compileSpec(text: string, file: string, opts: CompileOptions = {}): CompileResult {
  const loaded = loadSpec(text, file, opts.targets);
  if (!loaded.model) return { ok: false, diagnostics: loaded.diagnostics, files: [] };
  const model = loaded.model;
  const env = opts.env ?? process.env;
  const secrets = secretDiagnostics(model, loaded.parsed!, env);
  if (secrets.length) return { ok: false, diagnostics: secrets, files: [], model };
  const unsupported = engineDiagnostics(model, loaded.parsed!);
  if (unsupported.length) return { ok: false, diagnostics: unsupported, files: [], model };
  const findings = opts.lint === false ? [] : lintModel(model, loaded.parsed!);
  if (findings.some((d) => d.severity === 'error')) return { ok: false, diagnostics: findings, files: [], model };
  try {
    const files = emitAll(model, (opts.plan ?? specPlan)(model), env);
    return { ok: true, diagnostics: findings, files, model };
  } catch (e) {
    if (e instanceof EmitError) {
      return { ok: false, diagnostics: [{ file, line: 1, col: 1, severity: 'error', code: 'emit', message: e.message }], files: [], model };
    }
    throw e;
  }
}
