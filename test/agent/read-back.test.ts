// The device-mode read-back after an action, against a simulated router whose connections
// are cut: cut reads are retried until the router answers, within bootTimeoutMs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readDeviceModeBack, readDeviceModeBeforeActing } from '../../src/agent/read-back.js';
import type { RouterConfig } from '../../src/config/router-schema.js';
import { silentLogger } from '../../src/log/logger.js';
import { RouterClient } from '../../src/routeros/client.js';
import { realClock } from '../../src/time/clock.js';
import { RouterClosedError, RouterUnreachableError } from '../../src/routeros/errors.js';
import { cleanupList, endpointFor, startRouter, within } from '../routeros/support.js';

const cleanups = cleanupList();

async function setup(bootTimeoutMs: number) {
  const router = await startRouter();
  cleanups.push(() => router.stop());
  const client = new RouterClient(endpointFor(router), { backoff: { initialMs: 50, maxMs: 200 } });
  cleanups.push(() => client.stop());
  await client.start();
  const stopping = new AbortController();
  const ctx = {
    client,
    config: { bootTimeoutMs } as RouterConfig,
    logger: silentLogger(),
    signal: stopping.signal,
    clock: realClock,
  };
  return { router, ctx, stopping };
}

void test('reads cut mid-call are retried until one answers', async () => {
  const { router, ctx } = await setup(30_000);
  const rule = router.dropOn({ command: '/system/device-mode/print', when: 'after', times: 3 });
  const state = await readDeviceModeBack(ctx);
  assert.equal(state.mode, 'home');
  assert.equal(rule.hits, 3);
});

void test('gives up with the last error once bootTimeoutMs has passed', async () => {
  const { router, ctx } = await setup(1500);
  router.dropOn({ command: '/system/device-mode/print', times: Infinity });
  await assert.rejects(
    within(30_000, 'the read-back gives up', readDeviceModeBack(ctx)),
    (error: unknown) => error instanceof RouterClosedError || error instanceof RouterUnreachableError,
  );
  assert.ok(router.injected.drops >= 2, 'retried');
});

void test('stops retrying when the agent stops', async () => {
  const { router, ctx, stopping } = await setup(60_000);
  router.dropOn({ command: '/system/device-mode/print', times: Infinity });
  const reading = readDeviceModeBack(ctx);
  setTimeout(() => stopping.abort(), 300);
  await assert.rejects(reading);
});

void test('the read before acting rides out a cut connection, and gives up after three tries', async () => {
  const { router, ctx } = await setup(30_000);
  const once = router.dropOn({ command: '/system/device-mode/print', when: 'after', times: 1 });
  assert.equal((await readDeviceModeBeforeActing(ctx)).mode, 'home');
  assert.equal(once.hits, 1);
  const always = router.dropOn({ command: '/system/device-mode/print', times: Infinity });
  await assert.rejects(
    within(30_000, 'gives up', readDeviceModeBeforeActing(ctx)),
    (error: unknown) => error instanceof RouterClosedError || error instanceof RouterUnreachableError,
  );
  // Three tries at most; one may fail on the reconnect itself rather than on the command.
  assert.ok(always.hits >= 2 && always.hits <= 3, `tries that reached the router: ${always.hits}`);
});
