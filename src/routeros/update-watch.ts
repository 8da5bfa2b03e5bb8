/**
 * The reads an update session makes on its read session while its update waits (never on
 * the update's own connection): attempt-count, for evidence that the change is pending, and
 * uptime, for a reboot the silent update connection cannot notice. Both stop when the update
 * ends or is handed over to the operation that acts on it (UpdateRequest.handOver).
 */
import type { RouterClient } from './client.js';
import type { DeviceModeChange, DeviceModeState } from './device-mode.js';
import { RouterTimeoutError } from './errors.js';
import { changeApplied } from './parse.js';
import type { UptimeSample } from './reboot.js';
import { pause } from '../time/pause.js';
import type { PendingEvidence, UpdateOutcome } from './update-request.js';

/** Polls attempt-count on the read session until pending is known; stalls are tolerated. */
export async function watchAttemptCount(
  reader: Pick<RouterClient, 'readDeviceMode'>,
  baseline: number,
  pollMs: number,
  stop: AbortSignal,
  markPending: (e: PendingEvidence, n?: number) => void,
): Promise<void> {
  while (!stop.aborted) {
    try {
      const state = await reader.readDeviceMode({ timeoutMs: Math.max(pollMs * 4, 2000), signal: stop });
      if (state.attemptCount > baseline) {
        markPending('attempt-count', state.attemptCount);
        return;
      }
    } catch {
      // A stalled or failed read is itself a sign that something is pending; keep waiting.
    }
    await pause(pollMs, stop);
  }
}

/**
 * While the update waits, looks for a reboot on the read session. A power cut sends no
 * FIN, and the update's session sends nothing (on purpose), so without this it would sit
 * on a dead socket until the activation timeout.
 */
export async function watchForReboot(
  reader: Pick<RouterClient, 'readResource' | 'portAnswers' | 'recycle'>,
  rebooted: (r: UptimeSample) => boolean,
  everyMs: number,
  stop: AbortSignal,
  onReboot: () => void,
): Promise<void> {
  while (!stop.aborted) {
    await pause(everyMs, stop);
    if (stop.aborted) return;
    try {
      const sentAtMs = performance.now();
      const { uptimeSeconds } = await reader.readResource({ timeoutMs: 2000, signal: stop });
      if (rebooted({ uptimeSeconds, sentAtMs })) {
        onReboot();
        return;
      }
    } catch (error) {
      if (error instanceof RouterTimeoutError && !stop.aborted && !(await reader.portAnswers(1000)))
        await reader.recycle();
    }
  }
}

/**
 * What the device-mode read after the update's session dropped says of the update: the
 * change applied (confirmed), a reboot without it (nothing pending any more), else a session
 * lost without a reboot (the change may still be pending; final only once no reboot can come).
 */
export function outcomeAfterDrop(
  before: DeviceModeState,
  change: DeviceModeChange,
  state: DeviceModeState,
  rebooted: boolean,
): Extract<UpdateOutcome, { phase: 'confirmed' | 'failed' }> {
  if (changeApplied(before, change, state)) return { phase: 'confirmed', state, rebooted };
  if (rebooted)
    return { phase: 'failed', reason: 'router rebooted without the change', state, mayStillBePending: false };
  return { phase: 'failed', reason: 'session lost without a reboot', state, mayStillBePending: true };
}
