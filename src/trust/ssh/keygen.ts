import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refuse } from '../refusal.js';
import type { SshSigner } from './agent.js';
import { parseSshPublicKey } from './public-key.js';
import { dearmorSshSig, DMCONFIRM_SSHSIG_NAMESPACE } from './sshsig.js';
import { verifySshSig } from './sshsig-verify.js';

function run(command: string, args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    // The terminal stays ssh-keygen's: a security key asks there for the touch and the PIN,
    // an encrypted key file for its passphrase (which is why the data goes in a file, not stdin).
    const child = spawn(command, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', resolve);
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
    return refuse(
      'key-file',
      `cannot read the SSH public key ${pubPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  const publicKey = parseSshPublicKey(line);
  const command = options.sshKeygen ?? 'ssh-keygen';
  return {
    publicKey,
    alg: 'SSHSIG',
    async sign(data: Uint8Array): Promise<Buffer> {
      const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-sshsig-'));
      let armored: string;
      try {
        const input = join(dir, 'signing-input');
        await writeFile(input, data, { mode: 0o600 });
        const args = ['-Y', 'sign', '-n', DMCONFIRM_SSHSIG_NAMESPACE, '-f', keyFile, input];
        const code = await run(command, args).catch((error: unknown) =>
          refuse('key-file', `cannot run ${command}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`),
        );
        if (code !== 0)
          refuse('key-file', `${command} -Y sign with ${keyFile} failed (exit ${code}; its message is above)`);
        armored = await readFile(`${input}.sig`, 'utf8');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      const blob = dearmorSshSig(armored);
      verifySshSig(blob, data, publicKey, {
        namespace: DMCONFIRM_SSHSIG_NAMESPACE,
        at: `the signature ${command} made`,
      });
      return blob;
    },
  };
}
