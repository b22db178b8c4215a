import { execa } from 'execa';

export type EngineName = 'nginx' | 'haproxy' | 'kong';

/** Absolute path of an installed engine binary, or undefined. Looks in PATH and the usual sbin folders. */
export async function findBinary(name: EngineName): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = `${d}/${name}`;
    try {
      await execa('test', ['-x', p]);
      return p;
    } catch { /* not here */ }
  }
  return undefined;
}

/** Self-signed CA and a server certificate for localhost/127.0.0.1, written as <dir>/ca.crt, <dir>/edge.crt, <dir>/edge.key. */
export async function makeTestCertificates(dir: string, names: string[] = ['localhost']): Promise<{ ca: string; cert: string; key: string }> {
  const ca = `${dir}/ca.crt`, caKey = `${dir}/ca.key`, cert = `${dir}/edge.crt`, key = `${dir}/edge.key`, csr = `${dir}/edge.csr`, ext = `${dir}/edge.ext`;
  const { writeFile } = await import('node:fs/promises');
  await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=edgegen test CA']);
  await execa('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${names[0]}`]);
  const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
  await writeFile(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`);
  await execa('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { ca, cert, key };
}
