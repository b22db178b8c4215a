import { stringify } from 'yaml';
import type { OutputFile } from '../../compile.js';
import type { Model } from '../../model/types.js';
import type { DeployUnit, MountedFile } from './units.js';

type Obj = Record<string, unknown>;

const label = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');

/** The name of the Secret holding the certificate, key and CA that the spec's tls names (created by the operator). */
export function tlsSecretName(model: Model): string {
  return `${label(model.name)}-tls`;
}

function labels(model: Model, u: DeployUnit): Record<string, string> {
  return { 'app.kubernetes.io/name': 'edgegen', 'app.kubernetes.io/instance': label(model.name), 'app.kubernetes.io/component': u.name };
}

function portList(u: DeployUnit): { name: string; port: number }[] {
  return (['http', 'https', 'status'] as const).filter((k) => u.ports[k] !== undefined).map((k) => ({ name: k, port: u.ports[k]! }));
}

/**
 * One ConfigMap or Secret per generated file (each object stays under Kubernetes' 1 MiB limit as long as its file does),
 * named with a hash of its content: a changed file is a new object, and the Deployment that mounts it rolls out.
 */
function dataObject(model: Model, u: DeployUnit, f: MountedFile): Obj {
  const meta = { name: f.object, labels: labels(model, u) };
  const data = { [key(f.target)]: f.content };
  return f.secret ? { apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'Opaque', stringData: data } : { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data };
}

/** A ConfigMap/Secret key from a mount path (keys allow [-._a-zA-Z0-9]). */
const key = (target: string) => target.replace(/^\//, '').replace(/[^-._a-zA-Z0-9]/g, '_');

function deployment(model: Model, u: DeployUnit): Obj {
  const volumes: Obj[] = [];
  const mounts: Obj[] = [];
  u.files.filter((x) => !x.external).forEach((f, i) => {
    const name = `${f.secret ? 'secret' : 'config'}-${i}`;
    volumes.push(f.secret ? { name, secret: { secretName: f.object, defaultMode: 0o400 } } : { name, configMap: { name: f.object } });
    mounts.push({ name, mountPath: f.target, subPath: key(f.target), readOnly: true });
  });
  const tls = model.tls;
  if (tls && u.layer !== 'service') {
    volumes.push({ name: 'tls', secret: { secretName: tlsSecretName(model), defaultMode: 0o400 } });
    const files: [string, string | undefined][] = [['tls.crt', tls.certificate], ['tls.key', tls.key], ['ca.crt', tls.ca]];
    for (const [k, path] of files) if (path) mounts.push({ name: 'tls', mountPath: path, subPath: k, readOnly: true });
  }
  u.stateDirs.forEach((d, i) => { volumes.push({ name: `state-${i}`, emptyDir: {} }); mounts.push({ name: `state-${i}`, mountPath: d }); });
  const h = u.health;
  const probe = (initialDelaySeconds: number) => ({
    ...(h.path ? { httpGet: { path: h.path, port: h.port } } : { tcpSocket: { port: h.port } }),
    initialDelaySeconds, periodSeconds: h.intervalS, timeoutSeconds: h.timeoutS, failureThreshold: h.retries,
  });
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: u.name, labels: labels(model, u) },
    spec: {
      replicas: u.replicas,
      selector: { matchLabels: labels(model, u) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: labels(model, u) },
        spec: {
          // The engine's graceful stop (nginx SIGQUIT, HAProxy SIGUSR1) comes from the image's STOPSIGNAL; 10 s to drain.
          terminationGracePeriodSeconds: 10,
          containers: [{
            name: u.engine,
            image: u.image,
            ...(u.command ? { command: u.command } : {}),
            ...(Object.keys(u.env).length ? { env: Object.entries(u.env).map(([name, value]) => ({ name, value })) } : {}),
            ports: portList(u).map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
            readinessProbe: probe(2),
            livenessProbe: probe(15),
            resources: { requests: { cpu: '100m', memory: u.engine === 'kong' ? '512Mi' : '128Mi' } },
            // Root reads the 0400 credentials, as edgegen's Docker runtime does; nginx drops its workers to nobody.
            securityContext: { runAsUser: 0, allowPrivilegeEscalation: false },
            volumeMounts: mounts,
          }],
          volumes,
        },
      },
    },
  };
}

function service(model: Model, u: DeployUnit): Obj {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: u.name, labels: labels(model, u) },
    spec: {
      type: u.entry ? 'LoadBalancer' : 'ClusterIP',
      selector: labels(model, u),
      ports: portList(u).filter((p) => !(u.entry && p.name === 'status')).map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: 'TCP' })),
    },
  };
}

/** Only the previous layer reaches a layer (the entry: anyone, on its listen ports). */
function networkPolicy(model: Model, u: DeployUnit, prev?: DeployUnit): Obj {
  const ports = portList(u).filter((p) => prev || p.name !== 'status').map((p) => ({ protocol: 'TCP', port: p.port }));
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
    metadata: { name: `${u.name}-ingress`, labels: labels(model, u) },
    spec: {
      podSelector: { matchLabels: labels(model, u) },
      policyTypes: ['Ingress'],
      ingress: [{ ...(prev ? { from: [{ podSelector: { matchLabels: labels(model, prev) } }] } : {}), ports }],
    },
  };
}

function pdb(model: Model, u: DeployUnit): Obj {
  return {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget',
    metadata: { name: u.name, labels: labels(model, u) },
    spec: { maxUnavailable: 1, selector: { matchLabels: labels(model, u) } },
  };
}

/** Every manifest, by file name (one object per file), in a stable order. */
export function kubernetesObjects(model: Model, units: DeployUnit[]): { file: string; object: Obj; secret: boolean }[] {
  const out: { file: string; object: Obj; secret: boolean }[] = [];
  const layers = units.filter((u) => u.layer !== 'service');
  layers.forEach((u, i) => {
    for (const f of u.files.filter((x) => !x.external)) {
      const file = `${u.name}/${f.secret ? 'secret' : 'config'}-${f.target.split('/').pop()!.replace(/[^-._a-zA-Z0-9]/g, '_')}.yaml`;
      out.push({ file, object: dataObject(model, u, f), secret: f.secret });
    }
    out.push({ file: `${u.name}/deployment.yaml`, object: deployment(model, u), secret: false });
    out.push({ file: `${u.name}/service.yaml`, object: service(model, u), secret: false });
    out.push({ file: `${u.name}/networkpolicy.yaml`, object: networkPolicy(model, u, layers[i - 1]), secret: false });
    if (u.replicas >= 2) out.push({ file: `${u.name}/pdb.yaml`, object: pdb(model, u), secret: false });
  });
  return out;
}

/** A kustomize-ready folder: one manifest per file and a kustomization.yaml listing them. */
export function kubernetesFiles(model: Model, units: DeployUnit[]): OutputFile[] {
  const objects = kubernetesObjects(model, units);
  const head = `# generated by edgegen from ${model.source} (stack ${model.name})\n`;
  const files: OutputFile[] = objects.map((o) => ({ path: o.file, content: head + stringify(o.object, { lineWidth: 0, version: '1.1' }), mode: o.secret ? 0o400 : 0o644 }));
  const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: objects.map((o) => o.file) };
  const tls = model.tls ? `# the Secret ${tlsSecretName(model)} with tls.crt, tls.key${model.tls.ca ? ', ca.crt' : ''} must exist first\n` : '';
  files.push({ path: 'kustomization.yaml', content: `${head}# kubectl apply -k .\n${tls}${stringify(kustomization, { version: '1.1' })}`, mode: 0o644 });
  return files;
}
