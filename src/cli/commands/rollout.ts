import type { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { createLogger } from '../../log/logger.js';
import { prepare, runCoordinator } from '../../rollout/run.js';
import { inventoryFromBroker } from '../../rollout/broker-inventory.js';
import { readInventory, signedPart } from '../../rollout/inventory.js';
import type { FleetTarget } from '../../rollout/inventory.js';
import { stringify } from 'yaml';
import { files, readJournal, writeControl } from '../../rollout/journal.js';
import { parseWaves, renderPlan } from '../../rollout/plan.js';
import { rolloutStatusFromBroker } from '../../rollout/status-reader.js';
import { renderJournal, renderStatus } from '../../rollout/status-view.js';
import { buildCampaign, TargetTree } from '../../trust/campaign/build.js';
import { campaignSchema } from '../../trust/campaign/schema.js';
import { buildChange, parseDurationSeconds, parseTime } from '../../trust/drafts.js';
import { signPayload, unverifiedPayload, parseEnvelope } from '../../trust/jws.js';
import { TYP } from '../../trust/messages.js';
import { CliError } from '../cli-error.js';
import { durationMs } from '../duration.js';
import { methodOf } from '../signing-checks.js';
import { requesterIdentity } from './trust/trusted-identity.js';
import { TRUST_HELP } from './trust/request.js';
import { brokerOf, connectionOptions, NO_BROKER, seconds } from './publish.js';
import type { PublishOptions } from './publish.js';
import { cliAction, collect, EXIT_INPUT } from './trust/io.js';
import { loadSigner, requireSigner, sshSignerOptions } from './trust/ssh-options.js';
import type { SignerOptions } from './trust/ssh-options.js';

interface PlanOptions extends SignerOptions, PublishOptions {
  targets?: string;
  saveTargets?: string;
  id?: string;
  enable: string[];
  disable: string[];
  mode?: string;
  method?: string;
  timeout: string;
  notBefore?: string;
  notAfter: string;
  waves: string;
  pause?: string;
  abortFailures?: string;
  abortPercent?: string;
  minExecuted: string;
  requester?: string;
  trust?: string;
  coordinator: string;
  out?: string;
  full?: boolean;
}

function count(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${what}: "${text}" is not a number`, EXIT_INPUT);
  return n;
}

/** The inventory: a file, or the agents' retained router states on the broker (then saved for `start`). */
async function inventoryOf(o: PlanOptions): Promise<FleetTarget[]> {
  if ((o.targets === undefined) === (o.broker === undefined))
    throw new CliError("give --targets FILE or --broker URL (the agents' retained state)", EXIT_INPUT);
  if (o.targets !== undefined) return readInventory(o.targets);
  if (o.out !== undefined && o.saveTargets === undefined)
    throw new CliError(
      'with --broker and --out, give --save-targets FILE: "rollout start" needs the same targets',
      EXIT_INPUT,
    );
  const found = await inventoryFromBroker(brokerOf({ ...o, broker: o.broker! }, 'rollout-plan'), {
    base: o.base,
    quietMs: 500,
    maxMs: 20_000,
    connectTimeoutMs: seconds(o.connectTimeout, '--connect-timeout') * 1000,
  });
  for (const name of found.skipped)
    console.error(`skipped ${name}: its retained state names no serial (not paired yet)`);
  if (found.targets.length === 0)
    throw new CliError(`no router with a known serial under ${o.base} on the broker`, EXIT_INPUT);
  if (o.saveTargets !== undefined)
    await writeFile(o.saveTargets, stringify({ targets: found.targets }), { flag: 'wx' });
  return found.targets;
}

function registerPlan(rollout: Command): void {
  connectionOptions(
    sshSignerOptions(
      rollout
        .command('plan')
        .description(
          'Show the waves of a campaign over a fleet inventory; with ' +
            '--out, write the campaign signed by you as requester',
        )
        .option(
          '--targets <file>',
          'fleet inventory (YAML/JSON): targets: [{site, agent, router: {serial}}], in rollout order',
        )
        .option(
          '--broker <url>',
          "instead of --targets: every paired router in the agents' retained state, sorted by site/agent",
        )
        .option('--save-targets <file>', 'with --broker: write the inventory found (rollout start needs it)')
        .option('--id <campaign-id>', 'campaign id (8-64 letters, digits, _.:-; default: generated)')
        .option('--enable <feature>', 'turn a feature on (repeatable, or comma-separated)', collect, [])
        .option('--disable <feature>', 'turn a feature off (repeatable)', collect, [])
        .option('--mode <mode>', 'set the mode')
        .option('--method <method>', 'how the agents confirm: button or power')
        .option('--timeout <duration>', 'activation timeout of each update (10s..1d)', '5m')
        .option('--not-before <time>', 'campaign window start (ISO time or +30m)')
        .requiredOption('--not-after <time>', 'campaign window end (ISO time or +3d; at most 14 days)')
        .option('--waves <list>', 'wave sizes: counts, percentages, "rest" last', '1,10%,rest')
        .option('--pause <duration>', 'wait after each wave finished before releasing the next')
        .option('--abort-failures <n>', 'abort when this many executed targets failed')
        .option('--abort-percent <p>', 'abort when more than this percentage of executed targets failed')
        .option('--min-executed <n>', 'the abort criteria apply from this many executed targets', '1')
        .option('--requester <name>', 'requester identity (default: the name of --key)')
        .option('--trust <file>', TRUST_HELP)
        .requiredOption('--coordinator <name>', 'the identity (requester role) whose key signs the releases')
        .option('--key <file>', 'your requester key: sign the campaign (with --out)')
        .option('--out <file>', 'write the campaign here, for approvers to "dmconfirm cosign"')
        .option('--full', 'list every target of every wave'),
    ),
  ).action(
    cliAction(async (o: PlanOptions) => {
      const targets = await inventoryOf(o);
      const now = Date.now();
      const key = await loadSigner(o, o.requester);
      // Only showing the plan needs no requester; writing the campaign does.
      const signer = await requesterIdentity(key, o);
      const requesterName = signer ?? (o.out === undefined ? o.coordinator : undefined);
      if (requesterName === undefined)
        throw new CliError('give --key (to sign) or --requester NAME (an unsigned draft)', EXIT_INPUT);
      const campaign = buildCampaign({
        ...(o.id ? { campaignId: o.id } : {}),
        requester: { name: requesterName, ...(key ? { keyId: key.keyId } : {}) },
        coordinator: { name: o.coordinator },
        now,
        window: {
          ...(o.notBefore ? { notBefore: parseTime(o.notBefore, now) } : {}),
          notAfter: parseTime(o.notAfter, now),
        },
        change: buildChange({ enable: o.enable, disable: o.disable, ...(o.mode ? { mode: o.mode } : {}) }),
        method: methodOf(o.method),
        activationTimeoutSeconds: parseDurationSeconds(o.timeout),
        tree: new TargetTree(targets.map(signedPart)),
        waves: parseWaves(o.waves, o.pause),
        abort: {
          minExecuted: count(o.minExecuted, '--min-executed') ?? 1,
          ...(o.abortFailures !== undefined ? { maxFailures: count(o.abortFailures, '--abort-failures') } : {}),
          ...(o.abortPercent !== undefined ? { maxFailurePercent: count(o.abortPercent, '--abort-percent') } : {}),
        },
      });
      console.log(renderPlan(campaign, targets, { full: o.full === true }));
      if (o.out === undefined) return;
      const envelope = await signPayload(campaign, TYP.campaign, key);
      await writeFile(o.out, `${JSON.stringify(envelope)}\n`, { mode: 0o600, flag: 'wx' }).catch(
        (error: NodeJS.ErrnoException) => {
          throw new CliError(`cannot write ${o.out}: ${error.code ?? String(error)}`, EXIT_INPUT);
        },
      );
      console.log(
        `${o.out}: campaign ${campaign.campaignId}${key ? `, signed by ${key.name}` : ' (unsigned draft)'}; ` +
          `approvers: dmconfirm cosign ${o.out} --key ...`,
      );
    }),
  );
}

interface StartOptions extends PublishOptions, SignerOptions {
  stateDir: string;
  campaign?: string;
  targets?: string;
  trustRoot: string;
  tick: string;
  targetTimeout?: string;
  releaseValidity: string;
  check?: boolean;
}

function registerStart(rollout: Command): void {
  connectionOptions(
    sshSignerOptions(
      rollout
        .command('start')
        .description(
          'Run the coordinator: release waves, follow every target, ' +
            'stop at the abort criteria (resumes from --state-dir)',
        )
        .requiredOption('--state-dir <dir>', 'journal and pinned campaign; run "start" again on it to resume')
        .option('--campaign <file>', 'the campaign approvers signed (first start)')
        .option('--targets <file>', 'the fleet inventory the campaign was planned from (first start)')
        .requiredOption(
          '--trust-root <file>',
          'the trust root the agents hold: the campaign is checked against it first',
        )
        .option('--key <file>', 'the coordinator key (the campaign names its identity)')
        .option('--broker <url>', 'the broker the agents listen on')
        .option('--tick <duration>', 'how often to look at progress and release', '1s')
        .option(
          '--target-timeout <duration>',
          'a released target with no final answer after this long is timed out; at least ' +
            '--release-validity (default: release validity + activation timeout + 10m)',
        )
        .option('--release-validity <duration>', 'how long each release (and its order at the broker) is valid', '1h')
        .option('--check', 'only check the campaign, key and targets, then exit'),
    ),
  ).action(
    cliAction(async (o: StartOptions) => {
      const key = await requireSigner(o);
      if (o.check) {
        const { campaign } = await prepare(
          { dir: o.stateDir, campaignFile: o.campaign, targetsFile: o.targets, trustRootFile: o.trustRoot, key },
          false,
        );
        console.log(
          `campaign ${campaign.campaignId}: approved, ${campaign.targets.count} targets match, ${key.name} may release`,
        );
        return;
      }
      if (o.broker === undefined) throw new CliError(NO_BROKER, 2);
      let stop: () => void = () => undefined;
      const until = new Promise<void>((resolve) => (stop = resolve));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const coordinator = await runCoordinator({
        dir: o.stateDir,
        campaignFile: o.campaign,
        targetsFile: o.targets,
        trustRootFile: o.trustRoot,
        key,
        base: o.base,
        broker: brokerOf({ ...o, broker: o.broker }, 'rollout'),
        connectTimeoutMs: seconds(o.connectTimeout, '--connect-timeout') * 1000,
        tickMs: durationMs(o.tick, '--tick', 'ms'),
        releaseValidityMs: durationMs(o.releaseValidity, '--release-validity', 's'),
        ...(o.targetTimeout ? { targetTimeoutMs: durationMs(o.targetTimeout, '--target-timeout', 's') } : {}),
        logger: createLogger({ level: 'info', pretty: false }),
        until,
      });
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      const j = coordinator.journal;
      const how = j.finishedAt ? 'finished' : 'stopped (start again to resume)';
      console.log(`campaign ${j.campaignId}: ${how}${j.aborted ? `, aborted: ${j.aborted.why}` : ''}`);
      if (j.aborted) throw new CliError('rollout aborted', 1);
    }),
  );
}

interface StatusOptions extends PublishOptions {
  stateDir?: string;
  id?: string;
  all?: boolean;
  json?: boolean;
}

/** `rollout status --broker`: the coordinator's retained status, from any machine. */
async function brokerStatus(o: StatusOptions & { broker: string }): Promise<void> {
  const found = await rolloutStatusFromBroker(brokerOf(o, 'rollout-status'), {
    base: o.base,
    ...(o.id !== undefined && { campaignId: o.id }),
    quietMs: 1000,
    maxMs: 20_000,
    connectTimeoutMs: seconds(o.connectTimeout, '--connect-timeout') * 1000,
  });
  if (found.length === 0)
    throw new CliError(
      o.id === undefined
        ? `no rollout status under ${o.base}/rollouts on the broker`
        : `no status of campaign ${o.id} under ${o.base}/rollouts on the broker (not started, or another --base?)`,
      EXIT_INPUT,
    );
  if (o.json) return void console.log(JSON.stringify(o.id === undefined ? found : found[0], null, 2));
  const now = Date.now();
  console.log(found.map((f) => renderStatus(f.summary, f.targets, { all: o.all === true, now })).join('\n\n'));
}

function registerControl(rollout: Command): void {
  connectionOptions(
    rollout
      .command('status')
      .description('Per-target states, counts and the abort verdict of a rollout (its state directory, or the broker)')
      .option('--state-dir <dir>', 'the coordinator state directory (on the machine running it)')
      .option('--broker <url>', "instead of --state-dir: the coordinator's retained status, from any machine")
      .option('--id <campaign-id>', 'with --broker: this campaign, with its targets (without: every campaign)')
      .option('--all', 'list succeeded and queued targets too')
      .option('--json', 'print the journal (with --broker: the status as published) as JSON'),
  ).action(
    cliAction(async (o: StatusOptions) => {
      if ((o.stateDir === undefined) === (o.broker === undefined))
        throw new CliError('give --state-dir DIR (on the coordinator host) or --broker URL', EXIT_INPUT);
      if (o.broker !== undefined) return brokerStatus({ ...o, broker: o.broker });
      const journal = await readJournal(o.stateDir!);
      if (!journal) throw new CliError(`${o.stateDir}: no rollout journal (not started yet?)`, EXIT_INPUT);
      if (o.json) return void console.log(JSON.stringify(journal, null, 2));
      const campaign = campaignSchema.parse(
        unverifiedPayload(parseEnvelope(await readFile(files(o.stateDir!).campaign, 'utf8'))),
      );
      console.log(renderJournal(journal, campaign, { all: o.all === true }));
    }),
  );
  for (const [name, text] of [
    ['pause', 'Hold further releases (the wave in flight goes on)'],
    ['resume', 'Release again after a pause (never after an abort)'],
    ['abort', 'Stop all further releases at once, for good; unreleased targets are cancelled'],
  ] as const) {
    rollout
      .command(name)
      .description(text)
      .requiredOption('--state-dir <dir>', 'the coordinator state directory')
      .option('--reason <text>', 'why (abort), for the journal')
      .action(
        cliAction(async (o: { stateDir: string; reason?: string }) => {
          if (!(await readJournal(o.stateDir)))
            throw new CliError(`${o.stateDir}: no rollout journal (not started yet?)`, EXIT_INPUT);
          const control = await writeControl(o.stateDir, name, Date.now(), o.reason);
          if (name === 'resume' && control.abort)
            throw new CliError(`the rollout was aborted at ${control.abort.at}; it cannot resume`, 1);
          console.log(`${name}: recorded; the coordinator applies it at its next tick`);
        }),
      );
  }
}

export function registerRollout(program: Command): void {
  const rollout = program
    .command('rollout')
    .description('Campaigns: staged rollouts with waves and abort criteria (docs/rollouts.md)');
  registerPlan(rollout);
  registerStart(rollout);
  registerControl(rollout);
}
