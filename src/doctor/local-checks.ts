import { createPrivateKey } from 'node:crypto';
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigProblem } from '../config/problems.js';
import type { Secret } from '../config/secret.js';
import type { ClockMode } from '../time/wall-clock.js';
import { TrustRoot, verifySelfSigned } from '../trust/trust-root.js';
import { TRUST_ROOT_FILE } from '../trust/trust-store.js';
import { fail, octalMode, pass, warn, type CheckResult } from './check.js';

export function judgeConfig(
  file: string,
  problems: readonly ConfigProblem[] | undefined,
  routers: number,
): CheckResult {
  const name = 'configuration';
  if (!problems) return pass(name, `${file} is valid (${routers} router${routers === 1 ? '' : 's'})`);
  return fail(
    name,
    `${file}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    `edit the file, then "dmconfirm config check ${file}"; secrets ` +
      `named {credential: NAME} need --credentials DIR outside systemd`,
  );
}

/** What the process is: root sees every file, so its access checks prove little. */
export function judgeUser(uid: number | undefined): CheckResult | undefined {
  if (uid !== 0) return undefined;
  return warn(
    'user',
    "running as root: file and device access below is root's, not the service user's",
    'run doctor as the service runs: sudo -u dmconfirm dmconfirm ' +
      "doctor ... (or through systemd-run with the unit's credentials)",
  );
}

export interface PathFacts {
  path: string;
  /** errno code of stat, when it failed. */
  error?: string | undefined;
  isDirectory?: boolean;
  isFile?: boolean;
  mode?: number;
  readable?: boolean;
  writable?: boolean;
}

/** stat + access, without throwing: every answer becomes a fact to judge. */
export async function pathFacts(path: string): Promise<PathFacts> {
  try {
    const info = await stat(path);
    const can = (mode: number) =>
      access(path, mode).then(
        () => true,
        () => false,
      );
    return {
      path,
      isDirectory: info.isDirectory(),
      isFile: info.isFile(),
      mode: info.mode,
      readable: await can(constants.R_OK),
      writable: await can(constants.W_OK),
    };
  } catch (error) {
    return { path, error: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

export function judgeStateDir(facts: PathFacts): CheckResult {
  const name = 'state directory';
  const { path } = facts;
  const create =
    `sudo install -d -m 0700 -o ` +
    `dmconfirm -g dmconfirm ` +
    `${path} (systemd creates it for StateDirectory=dmconfirm)`;
  if (facts.error === 'ENOENT') return fail(name, `${path} does not exist`, create);
  if (facts.error) return fail(name, `${path}: ${facts.error}`, `check the path and its parents; ${create}`);
  if (!facts.isDirectory) return fail(name, `${path} is not a directory`, `move the file away, then ${create}`);
  if (!facts.writable)
    return fail(name, `${path} is not writable by this user`, `sudo chown -R dmconfirm:dmconfirm ${path}`);
  const mode = facts.mode ?? 0;
  if (mode & 0o007) {
    return warn(
      name,
      `${path} has mode ${octalMode(mode)}: others can read the audit log and journal`,
      `chmod 0700 ${path} (StateDirectoryMode=0700 in the unit)`,
    );
  }
  return pass(name, `${path} (mode ${octalMode(mode)})`);
}

export function judgeClock(mode: ClockMode, synchronized: boolean): CheckResult {
  const name = 'clock';
  if (mode === 'assume-synced')
    return pass(name, 'assumed synchronized (agent.clock: assume-synced; for tests and the demo only)');
  if (mode === 'assume-unsynced') {
    return warn(
      name,
      'assumed unsynchronized (agent.clock: assume-unsynced): approvals that need wall time are refused',
      'set agent.clock: systemd on a real site',
    );
  }
  if (synchronized) return pass(name, 'synchronized (NTP)');
  return fail(
    name,
    'not synchronized: a Pi has no RTC, so wall-clock expiries cannot be checked and such approvals are refused',
    'sudo timedatectl set-ntp true; make sure NTP (udp/123) is ' +
      'reachable; check with: timedatectl show -p NTPSynchronized',
  );
}

/** The file a secret came from: `file PATH`, or the credential under $CREDENTIALS_DIRECTORY. */
export function secretPath(
  secret: Pick<Secret, 'source'>,
  credentialsDirectory: string | undefined,
): string | undefined {
  if (secret.source.startsWith('file ')) return secret.source.slice('file '.length);
  const credential = /^credential (.+)$/.exec(secret.source)?.[1];
  return credential && credentialsDirectory ? join(credentialsDirectory, credential) : undefined;
}

export interface KeyFacts {
  source: string;
  /** Mode of the key file, when known. */
  mode?: number | undefined;
  /** asymmetricKeyType, or why the PEM did not parse. */
  keyType?: string | undefined;
  parseError?: string | undefined;
}

export function inspectAgentKey(secret: Secret, mode: number | undefined): KeyFacts {
  try {
    return { source: secret.source, mode, keyType: createPrivateKey(secret.reveal()).asymmetricKeyType };
  } catch (error) {
    return { source: secret.source, mode, parseError: (error as Error).message };
  }
}

export function judgeAgentKey(facts: KeyFacts | undefined, path?: string): CheckResult {
  const name = 'agent key';
  if (!facts) {
    return warn(
      name,
      'none configured: audit checkpoints are not signed, so truncation of the audit log cannot be detected',
      'dmconfirm keys generate --out /etc/dmconfirm/credentials/agent ' +
        '(writes agent.key), then agent.key: {credential: agent.key}',
    );
  }
  if (facts.parseError)
    return fail(
      name,
      `${facts.source} is not a PEM private key`,
      'generate one with "dmconfirm keys generate --out NAME" (PKCS#8 PEM, Ed25519)',
    );
  if (facts.keyType !== 'ed25519')
    return fail(
      name,
      `${facts.source} is a ${facts.keyType ?? 'unknown'} key, not Ed25519`,
      'generate an Ed25519 key with "dmconfirm keys generate --out NAME"',
    );
  if (facts.mode !== undefined && facts.mode & 0o077) {
    return fail(
      name,
      `${facts.source} has mode ${octalMode(facts.mode)}: group/others may read the private key`,
      `chmod 600 ${path ?? 'the key file'} (and consider the key exposed if others could read it)`,
    );
  }
  return pass(name, `Ed25519, ${facts.source}${facts.mode === undefined ? '' : ` (mode ${octalMode(facts.mode)})`}`);
}

export interface TrustRootFacts {
  configured: { path: string; text?: string | undefined; error?: string | undefined };
  stored: { path: string; text?: string | undefined; error?: string | undefined };
}

async function readOptional(path: string): Promise<{ path: string; text?: string; error?: string }> {
  try {
    return { path, text: await readFile(path, 'utf8') };
  } catch (error) {
    return { path, error: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

export async function trustRootFacts(configuredPath: string, stateDir: string): Promise<TrustRootFacts> {
  return {
    configured: await readOptional(configuredPath),
    stored: await readOptional(join(stateDir, TRUST_ROOT_FILE)),
  };
}

async function validRoot(text: string): Promise<{ version: number; schema: 1 | 2 } | { error: string }> {
  try {
    const root = TrustRoot.fromEnvelopeText(text);
    await verifySelfSigned(root);
    return { version: root.version, schema: root.schema };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** A schema-1 root authorizes no order (issue 10): say how to move on. */
function outdated(name: string, version: number, configuredPath: string): CheckResult {
  const fix =
    `run "dmconfirm trust migrate" ` +
    `on the operator side, have ` +
    `the root holders sign it, copy it to ${configuredPath}`;
  return fail(name, `trust root v${version} is in the schema-1 format: every order is refused (root-outdated)`, fix);
}

/** The agent uses the stored root when there is one, else bootstraps from the configured file. */
export async function checkTrustRoot(facts: TrustRootFacts): Promise<CheckResult> {
  const name = 'trust root';
  const { configured, stored } = facts;
  const make = 'create one with "dmconfirm trust init" on the operator side and copy trust.json to';
  if (stored.text !== undefined) {
    const verdict = await validRoot(stored.text);
    if ('error' in verdict)
      return fail(
        name,
        `stored ${stored.path} is invalid: ${verdict.error}`,
        `move it away and restore a valid root; ${make} ${configured.path}`,
      );
    const next = verdict.schema === 1 && configured.text !== undefined ? await validRoot(configured.text) : undefined;
    if (verdict.schema === 1 && !(next && 'schema' in next && next.schema === 2))
      return outdated(name, verdict.version, configured.path);
    if (configured.text === undefined) {
      return warn(
        name,
        `v${verdict.version} from ${stored.path}; configured ${configured.path} is missing (${configured.error ?? ''})`,
        `copy the current trust.json to ${configured.path}`,
      );
    }
    return pass(name, `v${verdict.version} in use (${stored.path})`);
  }
  if (stored.error && stored.error !== 'ENOENT')
    return fail(name, `cannot read ${stored.path}: ${stored.error}`, `sudo chown dmconfirm: ${stored.path}`);
  if (configured.text === undefined) {
    return fail(
      name,
      `${configured.path}: ${configured.error ?? 'unreadable'}, and none stored yet: the agent refuses to start`,
      `${make} ${configured.path} (readable by the dmconfirm user)`,
    );
  }
  const verdict = await validRoot(configured.text);
  if ('error' in verdict)
    return fail(name, `${configured.path} is invalid: ${verdict.error}`, `${make} ${configured.path} again`);
  if (verdict.schema === 1) return outdated(name, verdict.version, configured.path);
  return pass(name, `v${verdict.version} from ${configured.path} (stored at first start)`);
}
