import assert from 'node:assert/strict';
import { loadShippedReports, type ShippedReport } from '../../src/probe/known-behaviours.js';
import type { RouterBehaviour } from '../../src/sim/behaviour.js';

/**
 * A probe report as if `dmconfirm probe` had measured the simulator's RouterOS 7.22 as a real
 * router and observed `observed`: what the agent then knows about that version (router-behaviour.ts).
 */
export function labReport(observed: Partial<RouterBehaviour>): ShippedReport[] {
  const shipped = loadShippedReports().find((r) => r.report.source === 'simulator');
  assert.ok(shipped, 'the shipped simulator report');
  const report = structuredClone(shipped.report);
  report.source = 'router';
  for (const [name, value] of Object.entries(observed)) {
    (report.behaviours as Record<string, unknown>)[name] = { status: 'observed', value, because: 'test: a lab router' };
  }
  return [{ file: 'lab-7.22.json', report }];
}

/** A version that drops an abandoned update (its session closed or cancelled). */
export function reportThatCancels(): ShippedReport[] {
  return labReport({ abandonedUpdate: 'cancels' });
}
