/**
 * A private CA and the certificates a TLS test needs, made with openssl in the test's own folder:
 * the server's (for 127.0.0.1 and localhost) and a client's, both signed by the CA, plus a second
 * CA that signed nothing here (a client that trusts it must refuse the server).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const openssl = (args: string[], cwd: string) => promisify(execFile)('openssl', args, { cwd });

export interface TestCerts {
  ca: string;
  otherCa: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

async function selfSignedCa(dir: string, name: string): Promise<string> {
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}-key.pem`, '-out', `${name}.pem`], dir);
  return join(dir, `${name}.pem`);
}

async function signed(dir: string, name: string, extensions: string): Promise<{ cert: string; key: string }> {
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`], dir);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) };
}

export async function makeTestCerts(dir: string): Promise<TestCerts> {
  const ca = await selfSignedCa(dir, 'ca');
  const otherCa = await selfSignedCa(dir, 'other-ca');
  const server = await signed(dir, 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const client = await signed(dir, 'client', 'extendedKeyUsage=clientAuth\n');
  return { ca, otherCa, serverCert: server.cert, serverKey: server.key, clientCert: client.cert, clientKey: client.key };
}
