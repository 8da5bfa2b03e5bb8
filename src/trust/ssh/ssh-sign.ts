import { assertNotSigned } from '../jws.js';
import type { Envelope } from '../jws.js';
import type { SshSigner } from './agent.js';
import { sshSignatureEntry } from './jws-ssh.js';

/** Adds a signature by an SSH key (ssh-agent or ssh-keygen) over the exact payload in the envelope. */
export async function cosignWithSsh(envelope: Envelope, typ: string, signer: SshSigner): Promise<Envelope> {
  const key = signer.publicKey;
  assertNotSigned(envelope, typ, { keyId: key.fingerprint, name: key.comment || key.fingerprint });
  const entry = await sshSignatureEntry(envelope.payload, typ, signer);
  return { payload: envelope.payload, signatures: [...envelope.signatures, entry] };
}
