// Issue 12 §1 at the trust layer: an order whose window has not opened is accepted with
// opensAt (schedulable), never committed then; site windows, urgent orders, signed cancels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCancel } from '../../src/trust/drafts.js';
import { TYP } from '../../src/trust/messages.js';
import { fixedClock } from '../../src/time/wall-clock.js';
import { verifyCancel, verifyChangeRequest } from '../../src/trust/verify.js';
import {
  AGENT,
  NOW,
  SERIAL,
  context,
  keys,
  policy,
  refused,
  requestPayload,
  sign,
  text,
  trustRootV1,
} from './fixtures.js';

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();
// NOW is Friday 2026-05-01 12:00Z; the site opens Tuesdays 02:00-04:00 UTC: next on 2026-05-05T02:00Z.
const TUESDAY = Date.parse('2026-05-05T02:00:00Z');
const sitePolicy = {
  ...policy,
  siteWindows: {
    timeZone: 'UTC',
    windows: [{ days: ['tue' as const], from: '02:00', to: '04:00' }],
    urgentApprovals: 3,
  },
};
const request = (window?: { notBefore?: number; notAfter?: number }, extra: Record<string, unknown> = {}) =>
  requestPayload({
    ...(window
      ? {
          window: {
            ...(window.notBefore ? { notBefore: iso(window.notBefore) } : {}),
            ...(window.notAfter ? { notAfter: iso(window.notAfter) } : {}),
          },
        }
      : {}),
    ...extra,
  });

void test('a window not open yet: refused not-yet-valid, or (schedulable) accepted with opensAt', async () => {
  const root = await trustRootV1();
  const bytes = text(
    await sign(request({ notBefore: NOW + HOUR, notAfter: NOW + 3 * HOUR }), TYP.request, [
      keys.noc,
      keys.alice,
      keys.bob,
    ]),
  );
  refused(await verifyChangeRequest(bytes, context(root)), 'not-yet-valid');
  const ctx = context(root, { schedulable: true, deferCommit: true });
  const verdict = await verifyChangeRequest(bytes, ctx);
  assert.ok(verdict.ok, JSON.stringify(verdict));
  assert.equal(verdict.opensAt, NOW + HOUR);
  assert.equal(ctx.replayStore.has(verdict.message.requestId), false, 'the id is not taken by verifying');
  // Still every other check: too few approvers is refused, not scheduled.
  const weak = text(await sign(request({ notBefore: NOW + HOUR }), TYP.request, [keys.noc, keys.alice]));
  refused(await verifyChangeRequest(weak, ctx), 'too-few-approvers');
  // A window longer than 14 days is refused before anything waits.
  const long = text(
    await sign(request({ notBefore: NOW + HOUR, notAfter: NOW + 15 * 24 * HOUR }), TYP.request, [
      keys.noc,
      keys.alice,
      keys.bob,
    ]),
  );
  refused(await verifyChangeRequest(long, ctx), 'window-too-long');
  // Once the window is open the same bytes are accepted to start now.
  const open = await verifyChangeRequest(bytes, { ...ctx, clock: fixedClock(NOW + HOUR, true) });
  assert.ok(open.ok && open.opensAt === undefined);
});

void test('outside site windows: refused, scheduled into the next window, or urgent with more people', async () => {
  const root = await trustRootV1();
  const ctx = context(root, { schedulable: true, deferCommit: true, policy: sitePolicy });
  const plain = text(await sign(request(), TYP.request, [keys.noc, keys.alice, keys.bob]));
  refused(await verifyChangeRequest(plain, ctx), 'outside-site-window', /2026-05-05T02:00/);
  const reaching = text(
    await sign(request({ notAfter: TUESDAY + HOUR }), TYP.request, [keys.noc, keys.alice, keys.bob]),
  );
  const scheduled = await verifyChangeRequest(reaching, ctx);
  assert.ok(scheduled.ok && scheduled.opensAt === TUESDAY, JSON.stringify(scheduled));
  const short = text(await sign(request({ notAfter: TUESDAY - HOUR }), TYP.request, [keys.noc, keys.alice, keys.bob]));
  refused(await verifyChangeRequest(short, ctx), 'outside-site-window');
  refused(await verifyChangeRequest(plain, { ...ctx, clock: fixedClock(NOW, false) }), 'clock-unsynced');
  const weakUrgent = text(
    await sign(request(undefined, { urgent: true }), TYP.request, [keys.noc, keys.alice, keys.bob]),
  );
  refused(await verifyChangeRequest(weakUrgent, ctx), 'urgent-too-few-approvers', /needs 3 approvers/);
  const urgent = text(
    await sign(request(undefined, { urgent: true }), TYP.request, [keys.noc, keys.alice, keys.bob, keys.carol]),
  );
  const now = await verifyChangeRequest(urgent, ctx);
  assert.ok(now.ok && now.opensAt === undefined, JSON.stringify(now));
  // Inside the window a plain order starts now.
  const inside = await verifyChangeRequest(plain, { ...ctx, clock: fixedClock(TUESDAY + 60_000, true) });
  refused(inside, 'expired'); // issued more than 24 h before: the age rule still holds
  const fresh = text(
    await sign(requestPayload({ issuedAt: iso(TUESDAY) }), TYP.request, [keys.noc, keys.alice, keys.bob]),
  );
  const ok = await verifyChangeRequest(fresh, { ...ctx, clock: fixedClock(TUESDAY + 60_000, true) });
  assert.ok(ok.ok && ok.opensAt === undefined, JSON.stringify(ok));
});

void test('a cancel needs the approver threshold, never counts the requester, and takes no rate budget', async () => {
  const root = await trustRootV1();
  const cancel = buildCancel({
    agent: AGENT,
    router: { serial: SERIAL },
    requester: { name: 'noc' },
    now: NOW - 1000,
    cancels: 'order-00000001',
  });
  const ctx = context(root, { deferCommit: true });
  refused(await verifyCancel(text(await sign(cancel, TYP.cancel, [keys.noc, keys.alice])), ctx), 'too-few-approvers');
  const verdict = await verifyCancel(text(await sign(cancel, TYP.cancel, [keys.noc, keys.alice, keys.bob])), ctx);
  assert.ok(verdict.ok, JSON.stringify(verdict));
  assert.equal(verdict.message.cancels, 'order-00000001');
  await verdict.commit();
  assert.equal(ctx.replayStore.has(cancel.requestId), true);
  refused(await verifyCancel(text(await sign(cancel, TYP.cancel, [keys.noc, keys.alice, keys.bob])), ctx), 'replayed');
  // Signed as a request, it is not a cancel.
  refused(await verifyCancel(text(await sign(cancel, TYP.request, [keys.noc, keys.alice, keys.bob])), ctx), 'bad-typ');
});
