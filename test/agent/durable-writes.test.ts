// What is on disk at the first edge (docs/agent.md, durable writes): the 'actuating' record,
// with the actuator engaged, in one journal write; the audit entries of the action follow it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { beforePowerCycle } from '../../src/agent/flows/before-start.js';
import { runPowerCycle } from '../../src/agent/flows/powercycle-flow.js';
import type { OperationRecord } from '../../src/agent/journal.js';
import { fsyncCount } from '../../src/store/fsync-count.js';
import type { PowerCycle } from '../../src/trust/messages.js';
import { flowRig, homeState } from './fakes.js';

const order: PowerCycle = {
  v: 1,
  kind: 'power-cycle',
  agent: 'pi',
  router: { serial: 'HF0001' },
  requester: { name: 'ops' },
  issuedAt: new Date().toISOString(),
  requestId: 'req-power-1',
  reason: 'hung',
};

void test('the first edge follows one journal write (actuating, engaged); its audit entries follow it', async (t) => {
  const rig = await flowRig(t);
  const auditPath = rig.ctx.services.audit.path;
  const entries = () =>
    readFileSync(auditPath, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; data: { state?: string } });
  let atEdge: { saved: OperationRecord[]; audited: string[]; fsyncs: number } | undefined;
  let afterFirstRecord = 0;
  const save = rig.journal.save.bind(rig.journal);
  rig.journal.save = async (record) => {
    await save(record);
    if (record.state === 'idle') afterFirstRecord = fsyncCount();
  };
  const cut = rig.power.powerCycle.bind(rig.power);
  rig.power.powerCycle = (ms, options) => {
    atEdge = {
      saved: structuredClone(rig.saved),
      audited: entries().map((e) => `${e.type}:${e.data.state ?? ''}`),
      fsyncs: fsyncCount(),
    };
    return cut(ms, options);
  };
  const accepted = {
    ok: true as const,
    message: order,
    approverNames: ['alice'],
    signerKeyIds: ['k1'],
    requirement: { required: 1, because: [] },
    commit: () => Promise.resolve(),
  };
  const plan = await beforePowerCycle(rig.ctx, order, { deviceMode: homeState(), at: new Date().toISOString() });
  assert.ok(plan.ok);
  await runPowerCycle(rig.ctx, accepted, 'digest-1', plan.value);
  assert.deepEqual(rig.states(), ['actuating', 'rebooting', 'verifying', 'done']);
  assert.ok(atEdge, 'acted');
  const last = atEdge.saved.at(-1)!;
  assert.equal(last.state, 'actuating');
  assert.equal(last.actuatorEngaged, true);
  assert.ok(last.engagedAt && last.expected, 'with what recovery needs: when, and what to verify');
  assert.deepEqual(
    atEdge.saved.map((r) => r.state),
    ['idle', 'actuating'],
    'no separate "engaged" write',
  );
  assert.equal(
    atEdge.fsyncs - afterFirstRecord,
    1,
    "from the operation's record to the edge: one appended line, one fdatasync",
  );
  assert.ok(!atEdge.audited.includes('operation:actuating'), 'the audit entry of actuating follows the edge');
  const after = entries().map((e) => `${e.type}:${e.data.state ?? ''}`);
  assert.ok(
    after.indexOf('operation:actuating') >= 0 &&
      after.indexOf('operation:actuating') < after.indexOf('operation:rebooting'),
    after.join(' '),
  );
});
