import { InvalidArgumentError, type Command } from 'commander';
import { DEVICE_MODES, DEVICE_MODE_FEATURES } from '../../../routeros/device-mode.js';
import type { DeviceMode, DeviceModeFeature } from '../../../routeros/device-mode.js';
import { cosignEnvelope, signPayload } from '../../../trust/jws.js';
import { loadTrustKeyFile } from '../../../trust/ssh/trusted-key.js';
import { TYP } from '../../../trust/messages.js';
import { addKey, editedVersion, initRoot, removeKey, setThreshold } from '../../../trust/root-edit.js';
import type { ThresholdTarget } from '../../../trust/root-edit.js';
import { TrustRoot, validatePayload } from '../../../trust/trust-root.js';
import { ROLES } from '../../../trust/root-schema.js';
import type { CountedRole, RoleName, RootPayload } from '../../../trust/root-schema.js';
import { CliError } from '../../cli-error.js';
import { notOneOf } from '../../../text/did-you-mean.js';
import { showRoot } from './show-root.js';
import { requireSigner, sshSignerOptions } from './ssh-options.js';
import type { SignerOptions } from './ssh-options.js';
import { registerTrustInspect } from './trust-inspect.js';
import { cliAction, collect, EXIT_INPUT, loadKeyOption, readEnvelopeFile, writeEnvelope } from './io.js';

function role(value: string): RoleName {
  if (!(ROLES as readonly string[]).includes(value))
    throw new CliError(`--role: ${notOneOf(value, 'a role', ROLES)}`, EXIT_INPUT);
  return value as RoleName;
}

function countedRole(value: string): CountedRole {
  const r = role(value);
  if (r === 'requester') throw new CliError('--role: a requester never counts, so it has no threshold', EXIT_INPUT);
  return r;
}

/** An option-argument parser: commander names the option (or argument) in its error. */
function atLeast(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min)
      throw new InvalidArgumentError(`"${value}" is not a whole number of at least ${min}`);
    return n;
  };
}

async function readRoot(file: string): Promise<{ payload: RootPayload; signed: boolean }> {
  const { envelope, payload } = await readEnvelopeFile(file);
  return { payload: validatePayload(payload), signed: envelope.signatures.length > 0 };
}

/** Saves an edited root as an unsigned draft and says who has to sign it now. */
async function saveDraft(
  file: string,
  before: { payload: RootPayload; signed: boolean },
  next: RootPayload,
  out?: string,
): Promise<void> {
  const versioned = editedVersion(next, before.signed);
  const draft = await signPayload(versioned, TYP.root);
  // Read back as the agent will (key bytes, ids, one key under two kinds) before it is written.
  TrustRoot.fromEnvelopeText(JSON.stringify(draft));
  await writeEnvelope(out ?? file, draft, { overwrite: true });
  console.log(`${out ?? file}: trust root v${versioned.version}, unsigned draft`);
  console.log(
    `  sign with the keys of ${versioned.thresholds.root} of its root holders ` +
      `(dmconfirm trust sign ${out ?? file} --key K)`,
  );
  if (versioned.version > 1 && before.signed) {
    console.log(
      `  and, to replace v${before.payload.version}, by ${before.payload.thresholds.root} ` +
        `of the root holders of v${before.payload.version}`,
    );
  }
}

export function registerTrust(program: Command): void {
  const trust = program.command('trust').description('The trust root (trust.json): keys, roles, thresholds, rotation');

  trust
    .command('init')
    .description('Create version 1 of a trust root (then sign it with the root keys)')
    .requiredOption('--out <file>', 'trust root to write (never overwritten)')
    .option('--root <pub>', 'public key of a root-role member (repeatable)', collect, [])
    .option('--approver <pub>', 'public key of an approver (repeatable)', collect, [])
    .option('--requester <pub>', 'public key of a requester, e.g. an automation like ops-bot (repeatable)', collect, [])
    .option('--root-threshold <n>', 'root signatures needed', atLeast(1), 1)
    .option('--approver-threshold <n>', 'approvals needed for any operation', atLeast(1), 1)
    .option(
      '--no-suggested-rules',
      'leave out the stricter rules (socks, traffic-gen, install-any-version, flagged=no need 2)',
    )
    .option('--key <key>', 'sign right away with this private key (repeatable)', collect, [])
    .action(
      cliAction(
        async (o: {
          out: string;
          root: string[];
          approver: string[];
          requester: string[];
          rootThreshold: number;
          approverThreshold: number;
          suggestedRules: boolean;
          key: string[];
        }) => {
          if (o.root.length === 0 || o.approver.length === 0)
            throw new CliError('give at least one --root and one --approver public key', EXIT_INPUT);
          const payload = initRoot({
            rootKeys: await Promise.all(o.root.map((p) => loadTrustKeyFile(p))),
            approverKeys: await Promise.all(o.approver.map((p) => loadTrustKeyFile(p))),
            requesterKeys: await Promise.all(o.requester.map((p) => loadTrustKeyFile(p))),
            rootThreshold: o.rootThreshold,
            approverThreshold: o.approverThreshold,
            suggestedRules: o.suggestedRules,
          });
          let envelope = await signPayload(payload, TYP.root);
          for (const k of o.key) envelope = await cosignEnvelope(envelope, TYP.root, await loadKeyOption(k));
          await writeEnvelope(o.out, envelope, { overwrite: false });
          showRoot(payload);
          console.log(
            `wrote ${o.out} with ${envelope.signatures.length} signature(s); ` +
              `signatures of ${payload.thresholds.root} root holder(s) make it valid`,
          );
        },
      ),
    );

  const editOut = (c: Command) => c.option('--out <file>', 'write the edited root here instead of in place');

  editOut(
    trust
      .command('add-key')
      .argument('<file>')
      .description('Add a key (and its roles); starts the next version if FILE was signed'),
  )
    .requiredOption('--pub <pub>', 'the public key file: a dmconfirm NAME.pub, or an SSH .pub (ssh-ed25519, sk-...)')
    .option('--verify-required', 'security keys: refuse any signature made without the PIN (user verification)')
    .option('--role <role>', 'root, approver or requester (repeatable)', collect, [])
    .option('--identity <name>', "the person (or automation) the key belongs to (default: the key's name)")
    .option('--same-person', 'the identity exists already and this key belongs to that same person')
    .action(
      cliAction(
        async (
          file: string,
          o: { pub: string; role: string[]; identity?: string; samePerson?: boolean; verifyRequired?: boolean } & {
            out?: string;
          },
        ) => {
          const before = await readRoot(file);
          const options = { ...(o.identity ? { identity: o.identity } : {}), samePerson: o.samePerson === true };
          const key = await loadTrustKeyFile(o.pub, { verifyRequired: o.verifyRequired === true });
          await saveDraft(file, before, addKey(before.payload, key, o.role.map(role), options), o.out);
        },
      ),
    );

  editOut(
    trust
      .command('remove-key')
      .argument('<file>')
      .argument('<key>', 'a key id, or an identity name (all its keys)')
      .description('Remove (revoke) a key or a whole identity'),
  ).action(
    cliAction(async (file: string, key: string, o: { out?: string }) => {
      const before = await readRoot(file);
      await saveDraft(file, before, removeKey(before.payload, key), o.out);
    }),
  );

  editOut(
    trust
      .command('set-threshold')
      .argument('<file>')
      .argument('<n>', 'how many signatures (0 removes a rule)', atLeast(0)),
  )
    .description('Set a role threshold, or a rule for a feature, a mode, flagged=no or power cycles')
    .option('--role <role>', 'root or approver (thresholds count people)')
    .option('--feature <feature>', `turning on this feature (${DEVICE_MODE_FEATURES.join(', ')})`)
    .option('--mode <mode>', `setting this mode (${DEVICE_MODES.join(', ')})`)
    .option('--flagged-clear', 'setting flagged=no')
    .option('--power-cycle', 'plain power cycles')
    .action(
      cliAction(
        async (
          file: string,
          n: number,
          o: {
            role?: string;
            feature?: string;
            mode?: string;
            flaggedClear?: boolean;
            powerCycle?: boolean;
            out?: string;
          },
        ) => {
          const targets: ThresholdTarget[] = [];
          if (o.role) targets.push({ role: countedRole(o.role) });
          if (o.feature) {
            if (!(DEVICE_MODE_FEATURES as readonly string[]).includes(o.feature))
              throw new CliError(
                `--feature: ${notOneOf(o.feature, 'a device-mode feature', DEVICE_MODE_FEATURES)}`,
                EXIT_INPUT,
              );
            targets.push({ feature: o.feature as DeviceModeFeature });
          }
          if (o.mode) {
            if (!(DEVICE_MODES as readonly string[]).includes(o.mode))
              throw new CliError(`--mode: ${notOneOf(o.mode, 'a device-mode', DEVICE_MODES)}`, EXIT_INPUT);
            targets.push({ mode: o.mode as DeviceMode });
          }
          if (o.flaggedClear) targets.push({ flaggedClear: true });
          if (o.powerCycle) targets.push({ powerCycle: true });
          if (targets.length !== 1)
            throw new CliError(
              'give exactly one of --role, --feature, --mode, --flagged-clear, --power-cycle',
              EXIT_INPUT,
            );
          const before = await readRoot(file);
          await saveDraft(file, before, setThreshold(before.payload, targets[0]!, n), o.out);
        },
      ),
    );

  sshSignerOptions(editOut(trust.command('sign').argument('<file>').description('Add your signature to a trust root')))
    .option('--key <key>', 'your private key (or sign with --ssh-agent / --ssh-keygen)')
    .action(
      cliAction(async (file: string, o: SignerOptions & { out?: string }) => {
        const { envelope, payload } = await readEnvelopeFile(file);
        const root = validatePayload(payload);
        const key = await requireSigner(o);
        await writeEnvelope(o.out ?? file, await cosignEnvelope(envelope, TYP.root, key), { overwrite: true });
        console.log(
          `${o.out ?? file}: trust root v${root.version} signed by "${key.name}" ` +
            `(${envelope.signatures.length + 1} signature(s))`,
        );
      }),
    );

  registerTrustInspect(trust);
}
