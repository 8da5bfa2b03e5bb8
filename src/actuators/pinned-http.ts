import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { normalizeFingerprint } from '../routeros/endpoint.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from './errors.js';

export interface PinnedRequest {
  method: 'GET' | 'POST';
  body?: string;
  /** HTTP basic credentials. */
  basic?: { username: string; password: string };
  /**
   * SHA-256 fingerprint of the device's (usually self-signed) certificate: the TLS session is
   * checked against it before a single byte (credentials included) is sent, as the RouterOS
   * client does. Without one, the system trust store decides; verification is never off.
   */
  fingerprint?: string | undefined;
  timeoutMs: number;
}

/** Opens TLS, checks the pin, and only then hands the socket to the HTTP client. */
async function pinnedSocket(url: URL, fingerprint: string, timeoutMs: number): Promise<TLSSocket> {
  const socket = connect({
    host: url.hostname,
    port: Number(url.port || 443),
    servername: url.hostname,
    rejectUnauthorized: false,
    timeout: timeoutMs,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
    socket.once('timeout', () => reject(new Error(`TLS handshake timed out after ${timeoutMs} ms`)));
  });
  const actual = socket.getPeerCertificate().fingerprint256 ?? '';
  if (normalizeFingerprint(actual) !== normalizeFingerprint(fingerprint)) {
    socket.destroy();
    throw new ActuatorUnavailableError(
      `${url.host}: certificate fingerprint ${actual || '(none)'} does not match the pinned one; nothing sent`,
    );
  }
  return socket;
}

/** One HTTP(S) request to a device; resolves with status and body text. */
export async function deviceRequest(url: URL, options: PinnedRequest): Promise<{ status: number; text: string }> {
  let socket: TLSSocket | undefined;
  try {
    if (url.protocol === 'https:' && options.fingerprint)
      socket = await pinnedSocket(url, options.fingerprint, options.timeoutMs);
  } catch (error) {
    if (error instanceof ActuatorUnavailableError) throw error;
    throw new ActuatorUnavailableError(`${url.host}: ${(error as Error).message}`, { cause: error });
  }
  const pinned = socket;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.basic)
    headers.authorization =
      `Basic ` + `${Buffer.from(`${options.basic.username}:${options.basic.password}`).toString('base64')}`;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      // The pinned socket is used as is (no agent: an agent would open its own, verified connection).
      {
        method: options.method,
        headers,
        timeout: options.timeoutMs,
        ...(pinned ? { createConnection: () => pinned } : { agent: false }),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', (error) =>
          reject(new ActuatorProtocolError(`${url.host}: ${error.message}`, { cause: error })),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', (error) => reject(new ActuatorUnavailableError(`${url.host}: ${error.message}`, { cause: error })));
    req.end(options.body);
  });
}
