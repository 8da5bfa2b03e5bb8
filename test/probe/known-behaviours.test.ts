import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  knowledgeFor,
  loadShippedReports,
  plainVersion,
  type ShippedReport,
} from '../../src/probe/known-behaviours.js';
import type { ProbeReport } from '../../src/probe/report.js';

const shipped = loadShippedReports();
const defaults = shipped.find((r) => r.file === 'simulator-defaults.json')!;

function realRouter(file: string, version: string, stall: boolean): ShippedReport {
  const report: ProbeReport = {
    ...defaults.report,
    source: 'router',
    router: { ...defaults.report.router, routerosVersion: version },
    behaviours: {
      ...defaults.report.behaviours,
      stallOthersWhilePending: { status: 'observed', value: stall, because: 'test' },
    },
  };
  return { file, report };
}

void test("the shipped reports parse; the simulator's defaults ship first", () => {
  assert.ok(defaults, shipped.map((r) => r.file).join());
  assert.equal(defaults.report.source, 'simulator');
  assert.equal(plainVersion('7.22.1 (stable)'), '7.22.1');
});

void test("known only from real routers of the same version; the simulator's belief stays unproven", () => {
  assert.deepEqual(knowledgeFor('7.22 (stable)', [defaults]).known, []);
  const one = knowledgeFor('7.22.1', [
    defaults,
    realRouter('a.json', '7.22.1', true),
    realRouter('old.json', '7.19', false),
  ]);
  assert.deepEqual(
    one.known.find((k) => k.name === 'stallOthersWhilePending'),
    { name: 'stallOthersWhilePending', value: true, from: ['a.json'] },
  );
  assert.deepEqual(
    one.unproven.find((u) => u.name === 'abandonedUpdate'),
    { name: 'abandonedUpdate', why: 'not observed by the reports' },
  );
  const split = knowledgeFor('7.22.1', [realRouter('a.json', '7.22.1', true), realRouter('b.json', '7.22.1', false)]);
  assert.match(split.unproven.find((u) => u.name === 'stallOthersWhilePending')?.why ?? '', /reports disagree/);
});
