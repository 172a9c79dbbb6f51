/**
 * How a role's broker connection is secured, from the `cluster` settings: a user and password or a
 * token (nats-server's `authorization`), and TLS (the broker's certificate checked against a CA
 * of the deployment's own, a client certificate for a broker that verifies clients). The PEM files
 * are read here, before connecting, so that a missing one is a configuration error naming its
 * field instead of an outage the connection would retry forever.
 */
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from '@nats-io/transport-node';
import { ConfigError, type ClusterConfig } from '../config/index.js';

export type BrokerSecurity = Pick<ConnectionOptions, 'user' | 'pass' | 'token' | 'tls'>;

/** @throws ConfigError naming `cluster.tls.<file>` when a PEM file cannot be read. */
export async function brokerSecurity({ auth, tls }: Pick<ClusterConfig, 'auth' | 'tls'>): Promise<BrokerSecurity> {
  const security: BrokerSecurity = {};
  if (auth.user !== undefined) Object.assign(security, { user: auth.user, pass: auth.password });
  if (auth.token !== undefined) security.token = auth.token;
  if (tls !== undefined) {
    const [ca, cert, key] = await Promise.all([pem(tls.ca, 'ca'), pem(tls.cert, 'cert'), pem(tls.key, 'key')]);
    // An empty object still asks for TLS (nats.js): the broker's certificate against Node's CA list.
    security.tls = { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
  }
  return security;
}

async function pem(path: string | undefined, field: 'ca' | 'cert' | 'key'): Promise<string | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw ConfigError.invalid([{ path: `cluster.tls.${field}`, message: `cannot read ${path}: ${why}`, origin: 'the configuration' }], undefined);
  }
}
