// Local policy and rate limits: validly signed, still refused where this agent says no.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixedClock } from '../../src/time/wall-clock.js';
import { TYP } from '../../src/trust/messages.js';
import { manualMonotonic } from '../../src/time/monotonic.js';
import { RateLimiter } from '../../src/trust/rate-limit.js';
import { verifyChangeRequest } from '../../src/trust/verify.js';
import { NOW, context, keys, policy, refused, requestPayload, sign, tempDir, text, trustRootV1 } from './fixtures.js';

const signed = async (overrides: Record<string, unknown>, change?: Parameters<typeof requestPayload>[1]) =>
  text(await sign(requestPayload(overrides, change), TYP.request, [keys.alice, keys.bob]));

void test('features, modes, flagged clearing and methods outside local policy are refused', async () => {
  const root = await trustRootV1();
  refused(
    await verifyChangeRequest(await signed({}, { features: { zerotier: true } }), context(root)),
    'policy-feature',
    /zerotier/,
  );
  refused(await verifyChangeRequest(await signed({}, { mode: 'home' }), context(root)), 'policy-mode', /home/);
  refused(await verifyChangeRequest(await signed({}, { flagged: false }), context(root)), 'policy-flagged');
  const buttonOnly = context(root, { router: { name: 'core', serial: 'HF1234567', methods: ['button'] } });
  refused(await verifyChangeRequest(await signed({}), buttonOnly), 'policy-method', /power/);
  assert.equal(
    (await verifyChangeRequest(await signed({}, { features: { container: true, zerotier: false } }), context(root))).ok,
    true,
    'disabling is always allowed',
  );
});

void test('rate limit per router, persisted across a restart', async (t) => {
  const path = join(tempDir(t), 'rate.json');
  const root = await trustRootV1();
  const monotonic = manualMonotonic();
  const limiter = new RateLimiter(path, { monotonic });
  const tight = { ...policy, maxOperationsPerHour: 2 };
  for (let i = 0; i < 2; i++) {
    assert.equal(
      (await verifyChangeRequest(await signed({}), context(root, { rateLimiter: limiter, policy: tight }))).ok,
      true,
    );
  }
  refused(
    await verifyChangeRequest(await signed({}), context(root, { rateLimiter: limiter, policy: tight })),
    'rate-limited',
  );
  const restarted = new RateLimiter(path, { monotonic });
  await restarted.load();
  refused(
    await verifyChangeRequest(await signed({}), context(root, { rateLimiter: restarted, policy: tight })),
    'rate-limited',
  );
  const otherRouter = context(root, {
    rateLimiter: restarted,
    policy: tight,
    router: { name: 'edge', serial: 'HF1234567', methods: ['power'] },
  });
  assert.equal((await verifyChangeRequest(await signed({}), otherRouter)).ok, true, 'the budget is per router');
  monotonic.advance(3600_000); // the hour is counted in monotonic time (test/trust/clock-jumps.test.ts)
  const later = context(root, { rateLimiter: restarted, policy: tight, clock: fixedClock(NOW + 3600_000, true) });
  const laterMessage = text(
    await sign(requestPayload({ issuedAt: new Date(NOW + 3500_000).toISOString() }), TYP.request, [
      keys.alice,
      keys.bob,
    ]),
  );
  assert.equal((await verifyChangeRequest(laterMessage, later)).ok, true, 'an hour later the budget is back');
});
