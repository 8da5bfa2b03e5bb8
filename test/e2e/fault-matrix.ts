/**
 * Shared pieces of the fault-injection matrices (crash-matrix and broker-matrix): where the
 * agent's journal says an operation is, a way to stop a RouterOS command at the moment it
 * reaches the simulated router, and the checks every case ends with.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { agentKeyFromSecret } from '../../src/audit/checkpointer.js';
import { verifyAuditFile } from '../../src/audit/verify.js';
import type { OperationRecord } from '../../src/agent/journal.js';
import type { AgentResponse } from '../../src/mqtt/contract.js';
import type { CommandContext } from '../../src/sim/commands/types.js';
import type { SimulatedRouter } from '../../src/sim/index.js';
import { AgentProcess, type E2E } from './harness.js';
import { journalRecord } from './state-files.js';

export const FINAL = ['done', 'failed', 'cancelled', 'expired'];

/** The operation the agent journaled for hap1 (what a restart recovers), read now. */
export function journaled(e2e: E2E): OperationRecord | undefined {
  return journalRecord(join(e2e.site.dir, 'state'), 'hap1');
}

/**
 * Runs `hook` each time `command` reaches the simulated router, before the router handles
 * it; the command waits for the hook. The agent, waiting for that answer, cannot move on:
 * the hook sees it exactly at the state it journaled before asking. A command whose
 * connection closed meanwhile is never handled (as if it was never received).
 */
export function onCommand(
  router: SimulatedRouter,
  command: string,
  hook: (ctx: CommandContext) => void | Promise<void>,
): void {
  const original = router.commands[command];
  assert.ok(original, `the simulator has no ${command}`);
  router.commands[command] = async (ctx) => {
    await hook(ctx);
    if (ctx.signal.aborted) return {};
    return original(ctx);
  };
}

/** The real daemon, serving hap1, once it says it is online. */
export async function daemon(
  e2e: E2E,
  t: { after: (fn: () => void) => void },
  nodeArgs: string[] = [],
): Promise<AgentProcess> {
  const child = new AgentProcess(e2e.site.configFile, nodeArgs);
  t.after(() => child.kill('SIGKILL'));
  const seen = e2e.observer.seen.length;
  await child.start();
  await e2e.observer.waitFor(
    (m) => e2e.observer.seen.indexOf(m) >= seen && m.topic === e2e.topics.status && m.payload.includes('"online"'),
    'daemon online',
    45_000,
  );
  return child;
}

interface EventSeen {
  type: string;
  code: string;
  state?: string;
  operationId?: string;
  requestId?: string;
}

/**
 * Distinct payloads seen on a topic, in order. QoS 1 is at-least-once: a message in flight
 * when the broker stops is sent again, byte for byte, once it is back; a consumer drops the
 * copy. A second report of anything carries its own `at`, so it is still counted.
 */
function distinct(e2e: E2E, topic: string): string[] {
  return [...new Set(e2e.observer.seen.filter((m) => m.topic === topic && m.payload !== '').map((m) => m.payload))];
}

/** The answers on progress/<requestId>, each once. */
export function distinctAnswers(e2e: E2E, requestId: string): AgentResponse[] {
  return distinct(e2e, e2e.topics.progress(requestId)).map((p) => JSON.parse(p) as AgentResponse);
}

/** Every final state the agent reported for one operation, from `events` (orders with and without a request id). */
export function finalsOf(e2e: E2E, operationId: string): string[] {
  return distinct(e2e, e2e.topics.events)
    .map((p) => JSON.parse(p) as EventSeen)
    .filter(
      (e) => e.type === 'progress' && e.operationId === operationId && e.state !== undefined && FINAL.includes(e.state),
    )
    .map((e) => e.state!);
}

/** Final answers on progress/<requestId> that come from the operation itself (a refusal carries no operation id). */
export function operationAnswers(e2e: E2E, requestId: string): AgentResponse[] {
  return distinctAnswers(e2e, requestId).filter((a) => a.data.final && a.data.operationId !== undefined);
}

/** Sends `jws` again and expects a refusal that names it and acts on nothing. */
export async function republishRefused(
  e2e: E2E,
  kind: 'request' | 'approval',
  jws: string,
  codes: string[],
): Promise<void> {
  const topic = e2e.topics.progress(e2e.requestIdOf(jws));
  const from = e2e.observer.seen.length;
  const digest = await e2e.publish(kind, jws);
  const refusal = await e2e.observer.waitFor(
    (m) =>
      m.topic === topic &&
      (JSON.parse(m.payload) as AgentResponse).error !== undefined &&
      e2e.observer.seen.indexOf(m) >= from,
    `refusal of the ${kind} sent again`,
    20_000,
  );
  const answer = JSON.parse(refusal.payload) as AgentResponse;
  assert.equal(answer.data.inReplyTo, digest);
  assert.equal(answer.data.operationId, undefined, 'a refusal starts no operation');
  assert.ok(
    codes.includes(answer.error!.code),
    `refused as ${answer.error!.code}, expected one of ${codes.join(', ')}`,
  );
}

/** Power on, button up, no boot-time faults on the simulated router. */
export function assertPhysicalSafe(e2e: E2E): void {
  const state = e2e.site.router.state();
  assert.equal(state.power, 'on', 'power restored');
  assert.equal(state.button.down, false, 'button released');
  assert.deepEqual(state.faults, [], 'no button held at boot');
}

/** The audit chain verifies, alone and against every signed checkpoint published (before and after any kill). */
export async function assertAuditIntact(e2e: E2E): Promise<void> {
  const file = join(e2e.site.dir, 'state', 'audit.jsonl');
  const audit = await verifyAuditFile(file);
  assert.ok(audit.ok, JSON.stringify(audit.problems));
  const publicKey = agentKeyFromSecret(e2e.site.config.agent.key!, 'pi-demo');
  const checkpoints = e2e.observer.seen.filter((m) => m.topic === e2e.topics.checkpoint && m.payload !== '');
  for (const checkpoint of checkpoints) {
    const report = await verifyAuditFile(file, { publicKey, checkpoint: checkpoint.payload });
    assert.ok(report.ok, JSON.stringify(report.problems));
  }
}
