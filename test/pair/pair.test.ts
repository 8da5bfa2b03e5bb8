import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PairingStore } from '../../src/pairing/paired-unit.js';
import { verifyAuditFile } from '../../src/audit/verify.js';
import { SimulatedSite } from '../../src/demo/site.js';
import { runPairing } from '../../src/pairing/pair.js';

const now = () => new Date('2026-11-22T03:00:00Z');

void test('pair: records first contact, refuses a swapped unit, re-pairs it with --accept (audited)', async (t) => {
  // The broker is never contacted by pairing.
  const site = new SimulatedSite({ brokerUrl: 'mqtt://127.0.0.1:1', protocolVersion: 5 });
  t.after(async () => {
    await site.stop();
    if (site.dir) await rm(site.dir, { recursive: true, force: true });
  });
  await site.start();
  const stateDir = site.config.agent.stateDir;
  const lines: string[] = [];
  const pair = (accept: boolean, config = site.config) =>
    runPairing(config, { configFile: site.configFile, accept, now, print: (l) => lines.push(l) });

  const first = await pair(false);
  assert.equal(first.exitCode, 0);
  assert.deepEqual(
    first.outcomes.map((o) => o.action),
    ['record'],
  );
  assert.ok(lines.includes(`  serial        ${site.serial}`));
  assert.ok(lines.includes('  device-mode   home'));
  assert.ok(lines.includes('  flagged       no'));
  const store = new PairingStore(stateDir);
  await store.load();
  assert.equal(store.get('hap1')?.serial, site.serial);
  assert.equal(store.get('hap1')?.routerosVersion, '7.22 (stable)', 'pair records the version');

  assert.deepEqual(
    (await pair(false)).outcomes.map((o) => o.action),
    ['unchanged'],
  );

  // The unit recorded is another one: as if the router had been swapped.
  const recorded = JSON.parse(await readFile(join(stateDir, 'pairing.json'), 'utf8')) as Record<
    string,
    { serial: string }
  >;
  await writeFile(join(stateDir, 'pairing.json'), JSON.stringify({ hap1: { ...recorded.hap1, serial: 'OLDUNIT' } }));
  const refused = await pair(false);
  assert.equal(refused.exitCode, 1);
  assert.match(
    refused.outcomes[0]?.message ?? '',
    new RegExp(`serial ${site.serial}, but the paired unit is serial OLDUNIT`),
  );

  const accepted = await pair(true);
  assert.equal(accepted.exitCode, 0);
  assert.equal(
    accepted.outcomes[0]?.message,
    `hap1: re-paired: was serial OLDUNIT, now serial ${site.serial} (--accept)`,
  );

  // Configured identity wins over --accept.
  const pinned = {
    ...site.config,
    routers: site.config.routers.map((r) => ({ ...r, identity: { serial: 'PINNED' } })),
  };
  const wrong = await pair(true, pinned);
  assert.equal(wrong.exitCode, 1);
  assert.match(wrong.outcomes[0]?.message ?? '', /configured unit is serial PINNED/);

  const audit = join(stateDir, 'audit.jsonl');
  const entries = (await readFile(audit, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
  assert.deepEqual(
    entries.map((e) => e.type),
    ['paired', 're-paired'],
  );
  assert.deepEqual(entries[1]?.data.previous, { ...recorded.hap1, serial: 'OLDUNIT' });
  assert.equal((await verifyAuditFile(audit)).ok, true);
});

void test('pair: an unreachable router is reported and exits 1', async (t) => {
  const site = new SimulatedSite({ brokerUrl: 'mqtt://127.0.0.1:1', protocolVersion: 5 });
  t.after(async () => {
    if (site.dir) await rm(site.dir, { recursive: true, force: true });
  });
  await site.start();
  await site.stop();
  const result = await runPairing(site.config, { configFile: site.configFile, accept: false, print: () => undefined });
  assert.equal(result.exitCode, 1);
  assert.equal(result.outcomes[0]?.action, 'unreachable');
  assert.match(result.outcomes[0]?.message ?? '', /hap1 \(127\.0\.0\.1:\d+\): cannot read the router/);
});
