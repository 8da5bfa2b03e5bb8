import assert from 'node:assert/strict';
import { loadShippedReports, type ShippedReport } from '../../src/probe/known-behaviours.js';

/**
 * A probe report as if `dmconfirm probe` had measured the simulator's RouterOS 7.22 as a real
 * router that drops an abandoned update (its session closed or cancelled): what the agent
 * then knows about that version (router-behaviour.ts).
 */
export function reportThatCancels(): ShippedReport[] {
  const shipped = loadShippedReports().find((r) => r.report.source === 'simulator');
  assert.ok(shipped, 'the shipped simulator report');
  const report = structuredClone(shipped.report);
  report.source = 'router';
  report.behaviours.abandonedUpdate = { status: 'observed', value: 'cancels', because: 'test: a closed update session dropped the change' };
  return [{ file: 'lab-7.22.json', report }];
}
