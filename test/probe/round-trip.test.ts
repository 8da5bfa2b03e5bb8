// The round trip: for every behaviour option of the simulator, start it that way, probe it
// with the update run, check the report names exactly that behaviour; then start a twin from
// the report and probe again: the same report.
// Regenerate the shipped defaults after a deliberate change: see docs/simulator.md.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { probeRouter } from '../../src/probe/probe.js';
import { comparable, type ProbeReport } from '../../src/probe/report.js';
import { twinOptions } from '../../src/probe/twin.js';
import { loadShippedReports } from '../../src/probe/known-behaviours.js';
import { SimulatedRouter, type SimulatedRouterOptions } from '../../src/sim/index.js';
import { BEHAVIOUR_NAMES, defaultBehaviour, type RouterBehaviour } from '../../src/sim/behaviour.js';

const SCALE = 0.2;

async function probe(t: TestContext, options: SimulatedRouterOptions): Promise<ProbeReport> {
  const router = new SimulatedRouter({ controlPort: false, timeScale: SCALE, password: 'pw', ...options });
  await router.start();
  t.after(() => router.stop());
  return probeRouter(
    { host: '127.0.0.1', port: router.apiPort, user: 'admin', password: 'pw' },
    { withUpdate: true, timeScale: SCALE },
  );
}

type Case = { name: string; options: Partial<RouterBehaviour>; routerosVersion?: string };
const CASES: Case[] = [
  { name: 'the defaults', options: {} },
  { name: 'progress while pending', options: { progressWhilePending: true } },
  { name: 'stalling, update stays pending', options: { stallOthersWhilePending: true } },
  { name: 'stalling, /cancel cancels', options: { stallOthersWhilePending: true, abandonedUpdate: 'cancels' } },
  { name: 'attempt-count at the end, stays pending', options: { attemptCountRises: 'at-end' } },
  {
    name: 'attempt-count at the end, /cancel cancels',
    options: { attemptCountRises: 'at-end', abandonedUpdate: 'cancels' },
  },
  { name: '/cancel cancels, nothing shows it', options: { abandonedUpdate: 'cancels' } },
  { name: 'no !empty on 7.22', options: { emptyReplies: false } },
  { name: '!empty on 7.17', options: { emptyReplies: true }, routerosVersion: '7.17' },
  { name: 'reboot answers !done first (never probed)', options: { rebootReply: 'done' } },
];

for (const c of CASES) {
  void test(`round trip: ${c.name}`, async (t) => {
    const version = c.routerosVersion ?? '7.22';
    const report = await probe(t, { ...c.options, routerosVersion: version });
    const expected = { ...defaultBehaviour(version), ...c.options };
    // The probe never reboots; what /cancel does shows only through a stall or a late attempt-count rise.
    const unobservable = new Set(['rebootReply']);
    if (!expected.stallOthersWhilePending && expected.attemptCountRises === 'at-request')
      unobservable.add('abandonedUpdate');
    for (const name of BEHAVIOUR_NAMES) {
      const f = report.behaviours[name];
      if (unobservable.has(name)) {
        assert.equal(f.status, 'unobserved', `${name}: ${JSON.stringify(f)}`);
      } else {
        assert.deepEqual(f.status === 'observed' ? f.value : f, expected[name], `${name}: ${JSON.stringify(f)}`);
      }
    }
    assert.equal(report.router.routerosVersion, version);
    assert.equal(report.router.simulatorProfile, 'hAP-ax3');
    assert.equal(report.protocol.tagPlacement, 'after-reply-word');
    assert.equal(report.update?.raisedAttemptCountBy, 1);
    const again = await probe(t, twinOptions(report));
    assert.deepEqual(comparable(again), comparable(report));
  });
}

void test('the shipped simulator-defaults.json is what probing the default simulator reports', async (t) => {
  const shipped = loadShippedReports().find((r) => r.file === 'simulator-defaults.json')!.report;
  const fresh = await probe(t, {});
  assert.deepEqual(comparable({ ...fresh, source: 'simulator' }), comparable(shipped));
});
