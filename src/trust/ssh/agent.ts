import { verify as verifySignature } from 'node:crypto';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { refuse } from '../refusal.js';
import { normalizeFingerprint, parseSshPublicKeyBlob, SSH_ED25519 } from './public-key.js';
import type { SshPublicKey } from './public-key.js';

/** A key that signs raw bytes: an ssh-agent key, or `ssh-keygen -Y sign` (SSHSIG). */
export interface SshSigner {
  publicKey: SshPublicKey;
  /** `EdDSA`: 64 raw Ed25519 bytes over the data; `SSHSIG`: an SSHSIG blob over it. */
  alg: 'EdDSA' | 'SSHSIG';
  sign(data: Uint8Array): Promise<Buffer>;
}

interface AgentIdentity {
  key: SshPublicKey;
  parsed: ParsedKey;
}

const SK_HINT =
  'security keys (sk-ssh-ed25519) sign through ssh-keygen (--ssh-keygen KEYFILE), so they can ask for the touch';

/**
 * Talks to ssh-agent over SSH_AUTH_SOCK through ssh2's OpenSSHAgent (the agent protocol,
 * draft-miller-ssh-agent). Only ssh-ed25519 keys are offered: their signature over the JWS
 * signing input is a standard EdDSA JWS signature.
 */
export class SshAgentClient {
  readonly #agent: ssh2.OpenSSHAgent;

  constructor(readonly socketPath: string | undefined = process.env.SSH_AUTH_SOCK) {
    if (!socketPath)
      refuse('key-file', 'no ssh-agent: SSH_AUTH_SOCK is not set (start one with "eval $(ssh-agent)" and "ssh-add")');
    this.#agent = new ssh2.OpenSSHAgent(socketPath);
  }

  async #identities(): Promise<AgentIdentity[]> {
    const parsed = await new Promise<ParsedKey[]>((resolve, reject) => {
      this.#agent.getIdentities((error, keys) => (error ? reject(error) : resolve((keys ?? []) as ParsedKey[])));
    }).catch((error: unknown) => refuse('key-file', `ssh-agent at ${this.socketPath}: ${(error as Error).message}`));
    return parsed
      .filter((p) => p.type === SSH_ED25519)
      .map((p) => ({ key: parseSshPublicKeyBlob(p.getPublicSSH(), p.comment), parsed: p }));
  }

  /** The ssh-ed25519 keys the agent holds. */
  async list(): Promise<SshPublicKey[]> {
    return (await this.#identities()).map((i) => i.key);
  }

  /** The key with this fingerprint, or the only ssh-ed25519 key when none is named. */
  async signer(fingerprint?: string): Promise<SshSigner> {
    const identities = await this.#identities();
    const listing = identities.map((i) => `${i.key.fingerprint} ${i.key.comment}`.trim()).join('; ') || 'none';
    let chosen: AgentIdentity | undefined;
    if (fingerprint !== undefined) {
      const wanted = normalizeFingerprint(fingerprint);
      chosen = identities.find((i) => i.key.fingerprint === wanted);
      if (!chosen)
        refuse('key-file', `ssh-agent holds no ssh-ed25519 key ${wanted} (it holds: ${listing}); ${SK_HINT}`);
    } else {
      if (identities.length !== 1) {
        refuse(
          'key-file',
          identities.length === 0
            ? `ssh-agent holds no ssh-ed25519 key (add one with ssh-add); ${SK_HINT}`
            : `ssh-agent holds ${identities.length} ssh-ed25519 keys (${listing}); ` +
                'choose one with --ssh-key FINGERPRINT',
        );
      }
      chosen = identities[0]!;
    }
    return this.#signerFor(chosen);
  }

  #signerFor({ key, parsed }: AgentIdentity): SshSigner {
    const agent = this.#agent;
    const socketPath = this.socketPath;
    return {
      publicKey: key,
      alg: 'EdDSA',
      async sign(data: Uint8Array): Promise<Buffer> {
        const signature = await new Promise<Buffer>((resolve, reject) => {
          agent.sign(parsed, Buffer.from(data), (error, sig) =>
            error || !sig ? reject(error ?? new Error('no signature')) : resolve(sig),
          );
        }).catch((error: unknown) =>
          refuse(
            'key-file',
            `ssh-agent at ${socketPath} did not sign with ${key.fingerprint}: ${(error as Error).message}`,
          ),
        );
        // ssh2 strips the signature type; checking it here means a wrong answer never leaves this machine.
        if (signature.length !== 64 || !verifySignature(null, data, key.key, signature)) {
          refuse('bad-signature', `ssh-agent returned a signature that ${key.fingerprint} does not verify`);
        }
        return signature;
      },
    };
  }
}
