import type { Secret } from '../config/secret.js';
import type { RouterConnectionConfig } from '../config/connection-schema.js';

/**
 * Where and how to log in to one RouterOS API. The configuration's RouterConnectionConfig
 * fits as is; the optional fields get the schema's defaults.
 */
export interface RouterEndpoint {
  host: string;
  port?: number | undefined;
  tls?: { enabled: boolean; fingerprint?: string | undefined } | undefined;
  username: string;
  password: Pick<Secret, 'reveal'>;
  /** Timeout of each call and of connecting; default 5000 ms. */
  timeoutMs?: number | undefined;
}

// Compile-time check that the configuration type is accepted as an endpoint.
const _configFits = (c: RouterConnectionConfig): RouterEndpoint => c;
void _configFits;

export function endpointPort(endpoint: RouterEndpoint): number {
  return endpoint.port ?? (endpoint.tls?.enabled ? 8729 : 8728);
}

/** `sha256:AB:cd:...` and `abcd...` compare equal. */
export function normalizeFingerprint(fingerprint: string): string {
  return fingerprint
    .replace(/^sha256:/i, '')
    .replace(/:/g, '')
    .toLowerCase();
}
