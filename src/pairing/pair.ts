import { join } from 'node:path';
import { PairingStore } from './paired-unit.js';
import { runningAgent } from '../agent/run-lock.js';
import { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import { RouterClient } from '../routeros/client.js';
import type { DeviceModeState } from '../routeros/device-mode.js';
import { endpointPort } from '../routeros/endpoint.js';
import type { RouterIdentity } from '../routeros/parse.js';
import { describeUnit, pairExitCode, pairingAuditEntry, planPairing, type PairPlan } from './plan.js';

export interface PairOptions {
  configFile: string;
  accept: boolean;
  now?: () => Date;
  print: (line: string) => void;
}

export interface PairOutcome {
  router: string;
  action: PairPlan['action'] | 'unreachable';
  message: string;
}

async function readUnit(
  router: Config['routers'][number],
): Promise<{ identity: RouterIdentity; mode: DeviceModeState | undefined }> {
  const client = new RouterClient(router);
  try {
    await client.start();
    const identity = await client.readIdentity();
    const mode = await client.readDeviceMode().catch(() => undefined);
    return { identity, mode };
  } finally {
    await client.stop();
  }
}

/**
 * The side effects of `dmconfirm pair`: read each router, print it, and write what the plan
 * says (pairing.json, and the audit log for every change). Run it with the agent stopped:
 * the agent reads both files only at start.
 */
export async function runPairing(
  config: Config,
  options: PairOptions,
): Promise<{ outcomes: PairOutcome[]; exitCode: 0 | 1 }> {
  const now = options.now ?? (() => new Date());
  const agentPid = options.accept ? await runningAgent(config.agent.stateDir) : undefined;
  if (agentPid !== undefined) {
    // Both write the audit log and the agent reads pairing.json only at start: stop it first.
    options.print(
      `refused: the agent is running (pid ${agentPid}); stop it first ` +
        `(systemctl stop dmconfirm-agent), then pair --accept, then start it`,
    );
    return { outcomes: [], exitCode: 1 };
  }
  const store = new PairingStore(config.agent.stateDir);
  await store.load();
  const outcomes: PairOutcome[] = [];
  let audit: AuditLog | undefined;
  try {
    for (const [index, router] of config.routers.entries()) {
      let unit;
      try {
        unit = await readUnit(router);
      } catch (error) {
        const message =
          `${router.name} (${router.host}:${endpointPort(router)}): ` +
          `cannot read the router: ${(error as Error).message}`;
        options.print(message);
        outcomes.push({ router: router.name, action: 'unreachable', message });
        continue;
      }
      for (const line of describeUnit(router.name, `${router.host}:${endpointPort(router)}`, unit.identity, unit.mode))
        options.print(line);
      const plan = planPairing({
        router: router.name,
        seen: unit.identity,
        configured: router.identity,
        recorded: store.get(router.name),
        now: now(),
        accept: options.accept,
        configFile: options.configFile,
        index,
      });
      const entry = pairingAuditEntry(router.name, plan);
      if (entry && 'record' in plan) {
        if (!audit) {
          audit = new AuditLog(join(config.agent.stateDir, 'audit.jsonl'), now);
          await audit.open();
        }
        await store.record(router.name, { ...plan.record, routerosVersion: unit.identity.version });
        await audit.append(entry.type, entry.data);
      }
      if (plan.action === 'unchanged' && plan.record.routerosVersion !== unit.identity.version) {
        await store.record(router.name, { ...plan.record, routerosVersion: unit.identity.version }); // upgraded since
      }
      options.print(plan.message);
      outcomes.push({ router: router.name, action: plan.action, message: plan.message });
    }
  } finally {
    await audit?.close();
  }
  return { outcomes, exitCode: pairExitCode(outcomes.map((o) => o.action)) };
}
