/**
 * What the demo says, as pure functions: one line per thing that happened, with the
 * time since the demo began. The demo run and its scenarios decide when; this file decides the words.
 */
import type { ProgressData } from '../mqtt/contract.js';
import type { ProgressStep } from '../operator/progress.js';
import { formatDuration } from '../operator/progress.js';
import type { SimState } from '../sim/index.js';

export type Speaker = 'broker' | 'router' | 'actuator' | 'trust' | 'agent' | 'operator' | 'attacker' | 'check';

/** `[  3.2s] router    power cut`: aligned so a reader can scan by speaker. */
export function narrate(elapsedMs: number, who: Speaker, text: string): string {
  return `[${(Math.max(0, elapsedMs) / 1000).toFixed(1).padStart(5)}s] ${who.padEnd(9)} ${text}`;
}

export function heading(text: string): string {
  return `\n== ${text} ==`;
}

/** What each published operation state means, for someone watching for the first time. */
const MEANING: Partial<Record<ProgressData['state'], string>> = {
  scheduled: 'accepted before its maintenance window: the agent acts when it opens',
  requesting: 'signatures and policy checked; asking the router for the change',
  pending: 'the router holds the change until someone confirms it physically',
  actuating: 'cutting the power (the physical confirmation)',
  rebooting: 'power restored; waiting for the router to come back',
  verifying: 'reading device-mode back to compare with what was approved',
  done: 'verified: the router runs exactly what was approved',
  failed: 'the operation ended without the change',
};

/** An agent answer as it arrives: state, time since the order was sent, and what it means. */
export function describeStep(step: ProgressStep, sentAt: number): string {
  const since = `+${formatDuration(step.receivedAt - sentAt)}`.padStart(7);
  const why = step.error
    ? `refused (${step.error.code}): ${step.error.message}`
    : (step.detail ?? MEANING[step.state] ?? '');
  return `${step.state.padEnd(11)}${since}  ${why}`.trimEnd();
}

export type SimEvent =
  | { kind: 'update-requested'; change: string; attemptCount: number; timeoutMs: number }
  | { kind: 'update-confirmed' }
  | { kind: 'update-canceled'; reason: string }
  | { kind: 'power'; on: boolean; offMs?: number; cold?: boolean }
  | { kind: 'boot'; cold: boolean }
  | { kind: 'booted' }
  | { kind: 'applied'; change: string }
  | { kind: 'fault'; fault: string };

/** What the simulated router does, as its owner would see it on the console. */
export function describeSimEvent(event: SimEvent): string {
  switch (event.kind) {
    case 'update-requested':
      return (
        `device-mode update pending (${event.change}), attempt-count ${event.attemptCount}; ` +
        `needs a button press or power cycle within ${formatDuration(event.timeoutMs)}`
      );
    case 'update-confirmed':
      return 'physical confirmation received: the change applies at this boot';
    case 'update-canceled':
      return `pending update canceled (${event.reason})`;
    case 'power': {
      if (!event.on) return 'power cut';
      const what = event.cold ? ' (a cold boot: confirms the pending change)' : ' (too short to count)';
      return `power back after ${formatDuration(event.offMs ?? 0)}${what}`;
    }
    case 'boot':
      return 'booting';
    case 'booted':
      return 'up and answering its API again';
    case 'applied':
      return `device-mode applied: ${event.change}`;
    case 'fault':
      return `FAULT: ${event.fault}`;
  }
}

/** A change the simulated router holds or applied, as `mode=home container=yes`. */
export function describeSimChange(change: { mode?: string; features?: Record<string, boolean | undefined> }): string {
  const parts = change.mode ? [`mode=${change.mode}`] : [];
  for (const [feature, on] of Object.entries(change.features ?? {}))
    if (on !== undefined) parts.push(`${feature}=${on ? 'yes' : 'no'}`);
  return parts.join(' ') || 'no change';
}

/** The router's own view of its device-mode: `device-mode home, container=yes, attempt-count 0`. */
export function describeDeviceMode(state: Pick<SimState, 'deviceMode' | 'attemptCount'>): string {
  return (
    `device-mode ${state.deviceMode.mode}, ` +
    `container=${state.deviceMode.features.container ? 'yes' : 'no'}, attempt-count ${state.attemptCount}`
  );
}

/** Key ids are long base64url hashes; the first characters are enough to tell them apart here. */
export function shortKey(keyId: string | undefined): string {
  return keyId ? `${keyId.slice(0, 10)}…` : '?';
}

export interface DemoCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export function checkLine(check: DemoCheck): string {
  return `${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`;
}

/** The last lines: every check, then one verdict with the total time. */
export function summaryLines(checks: DemoCheck[], elapsedMs: number, failure: string | undefined): string[] {
  const passed = failure === undefined && checks.length > 0 && checks.every((c) => c.ok);
  const lines = checks.map(checkLine);
  if (failure !== undefined) lines.push(`FAIL  ${failure}`);
  lines.push(
    passed
      ? `demo passed: everything verified in ${formatDuration(elapsedMs)}`
      : `demo FAILED after ${formatDuration(elapsedMs)}`,
  );
  return lines;
}
