import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { refuse } from '../refusal.js';
import type { SshSigner } from './agent.js';
import { parseSshPublicKey } from './public-key.js';
import { dearmorSshSig, DMCONFIRM_SSHSIG_NAMESPACE } from './sshsig.js';
import { verifySshSig } from './sshsig-verify.js';


function run(command: string, args: string[], input: Uint8Array): Promise<{ code: number | null; stdout: Buffer }> {
  return new Promise((resolve, reject) => {
    // stderr goes straight to the user: a security key asks "Confirm user presence" there.
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out) }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(Buffer.from(input));
  });
}

/**
 * Signs with `ssh-keygen -Y sign -n dmconfirm-jws -f KEYFILE`: KEYFILE is a
 * private key (for a security key, the key handle file `id_ed25519_sk`, and the key asks
 * for its touch) or a public key whose private half is in ssh-agent. The signature is
 * checked here before it is used, so a wrong key or namespace fails on the signer's side.
 */
export async function sshKeygenSigner(keyFile: string, options: { sshKeygen?: string } = {}): Promise<SshSigner> {
  const pubPath = keyFile.endsWith('.pub') ? keyFile : `${keyFile}.pub`;
  let line: string;
  try {
    line = await readFile(pubPath, 'utf8');
  } catch (error) {
    return refuse('key-file', `cannot read the SSH public key ${pubPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const publicKey = parseSshPublicKey(line);
  const command = options.sshKeygen ?? 'ssh-keygen';
  return {
    publicKey,
    alg: 'SSHSIG',
    async sign(data: Uint8Array): Promise<Buffer> {
      const args = ['-Y', 'sign', '-n', DMCONFIRM_SSHSIG_NAMESPACE, '-f', keyFile];
      const result = await run(command, args, data).catch((error: unknown) =>
        refuse('key-file', `cannot run ${command}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`),
      );
      if (result.code !== 0) {
        refuse('key-file', `${command} -Y sign with ${keyFile} failed (exit ${result.code}; its message is above)`);
      }
      const blob = dearmorSshSig(result.stdout.toString('utf8'));
      verifySshSig(blob, data, publicKey, { namespace: DMCONFIRM_SSHSIG_NAMESPACE, at: `the signature ${command} made` });
      return blob;
    },
  };
}
