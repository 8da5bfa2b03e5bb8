// Issue 12 §1: recurring site windows in the site's time zone, DST edges included (Europe/Riga:
// EET +02 in winter, EEST +03 in summer; 2026 springs forward on 29 March at 03:00 local and
// falls back on 25 October at 04:00 local).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeSiteWindows,
  firstOpenAtOrAfter,
  nextWindow,
  windowAt,
  type SiteWindows,
} from '../../src/time/site-windows.js';

const at = (iso: string) => Date.parse(iso);
const riga = (windows: SiteWindows['windows']): SiteWindows => ({ timeZone: 'Europe/Riga', windows });
const tueThu = riga([{ days: ['tue', 'thu'], from: '02:00', to: '04:00' }]);

void test('Tue and Thu 02:00-04:00 Europe/Riga in winter is 00:00-02:00 UTC', () => {
  // Tuesday 1 December 2026.
  assert.deepEqual(windowAt(tueThu, at('2026-12-01T00:30:00Z')), {
    start: at('2026-12-01T00:00:00Z'),
    end: at('2026-12-01T02:00:00Z'),
  });
  assert.ok(windowAt(tueThu, at('2026-12-01T00:00:00Z')), 'open at its first instant');
  assert.equal(windowAt(tueThu, at('2026-12-01T02:00:00Z')), undefined, 'closed at its end');
  assert.equal(windowAt(tueThu, at('2026-11-30T23:59:59Z')), undefined);
  assert.deepEqual(nextWindow(tueThu, at('2026-12-01T02:00:00Z')), {
    start: at('2026-12-03T00:00:00Z'),
    end: at('2026-12-03T02:00:00Z'),
  });
  assert.deepEqual(nextWindow(tueThu, at('2026-12-04T12:00:00Z')), {
    start: at('2026-12-08T00:00:00Z'),
    end: at('2026-12-08T02:00:00Z'),
  });
});

void test('in summer the same wall time is an hour earlier in UTC', () => {
  // Tuesday 2 June 2026, 02:00 EEST = Monday 23:00 UTC: the day is the site's, not UTC's.
  assert.deepEqual(windowAt(tueThu, at('2026-06-01T23:10:00Z')), {
    start: at('2026-06-01T23:00:00Z'),
    end: at('2026-06-02T01:00:00Z'),
  });
  assert.equal(windowAt(tueThu, at('2026-06-02T01:30:00Z')), undefined);
});

void test('spring forward: a window over the gap is an hour shorter; a start inside the gap moves forward', () => {
  const sunday = riga([{ days: ['sun'], from: '02:00', to: '04:00' }]);
  // 02:00 EET = 00:00Z; 04:00 EEST = 01:00Z (03:00-03:59 does not exist that night).
  assert.deepEqual(nextWindow(sunday, at('2026-03-28T12:00:00Z')), {
    start: at('2026-03-29T00:00:00Z'),
    end: at('2026-03-29T01:00:00Z'),
  });
  const inGap = riga([{ days: ['sun'], from: '03:30', to: '05:00' }]);
  // 03:30 does not exist: it opens when the clock shows 04:30 EEST (01:30Z), a gap later, and closes at 05:00 EEST.
  assert.deepEqual(nextWindow(inGap, at('2026-03-28T12:00:00Z')), {
    start: at('2026-03-29T01:30:00Z'),
    end: at('2026-03-29T02:00:00Z'),
  });
});

void test('fall back: a window over the repeated hour is an hour longer; its times count the second time', () => {
  const sunday = riga([{ days: ['sun'], from: '02:00', to: '04:00' }]);
  // 02:00 EEST = 23:00Z Saturday; 04:00 happens once, in EET = 02:00Z: three hours.
  assert.deepEqual(nextWindow(sunday, at('2026-10-24T12:00:00Z')), {
    start: at('2026-10-24T23:00:00Z'),
    end: at('2026-10-25T02:00:00Z'),
  });
  const repeated = riga([{ days: ['sun'], from: '03:00', to: '03:30' }]);
  // 03:00-03:30 happens twice (EEST, then EET): the window is the second one, after the clock went back.
  assert.deepEqual(nextWindow(repeated, at('2026-10-24T12:00:00Z')), {
    start: at('2026-10-25T01:00:00Z'),
    end: at('2026-10-25T01:30:00Z'),
  });
  // The week after, the same rule is back to +02.
  assert.deepEqual(nextWindow(repeated, at('2026-10-26T12:00:00Z')), {
    start: at('2026-11-01T01:00:00Z'),
    end: at('2026-11-01T01:30:00Z'),
  });
});

void test('a window that ends at or before it starts runs past midnight, also into a DST change', () => {
  const overnight = riga([{ days: ['sat'], from: '22:00', to: '04:00' }]);
  // Saturday 28 March 22:00 EET = 20:00Z, to Sunday 04:00 EEST = 01:00Z (five hours, not six).
  assert.deepEqual(windowAt(overnight, at('2026-03-29T00:59:00Z')), {
    start: at('2026-03-28T20:00:00Z'),
    end: at('2026-03-29T01:00:00Z'),
  });
  assert.equal(windowAt(overnight, at('2026-03-29T01:00:00Z')), undefined);
});

void test('touching windows merge; firstOpenAtOrAfter starts no earlier than asked', () => {
  const two = riga([
    { days: ['mon'], from: '22:00', to: '00:00' },
    { days: ['tue'], from: '00:00', to: '02:00' },
  ]);
  // Monday 30 November 2026 22:00 EET = 20:00Z to Tuesday 02:00 EET = 00:00Z.
  assert.deepEqual(windowAt(two, at('2026-11-30T21:00:00Z')), {
    start: at('2026-11-30T20:00:00Z'),
    end: at('2026-12-01T00:00:00Z'),
  });
  assert.deepEqual(firstOpenAtOrAfter(two, at('2026-11-30T21:00:00Z')), {
    start: at('2026-11-30T21:00:00Z'),
    end: at('2026-12-01T00:00:00Z'),
  });
  assert.deepEqual(firstOpenAtOrAfter(two, at('2026-12-01T00:00:00Z')), {
    start: at('2026-12-07T20:00:00Z'),
    end: at('2026-12-08T00:00:00Z'),
  });
});

void test('another zone and a readable summary', () => {
  const ny = { timeZone: 'America/New_York', windows: [{ days: ['sun' as const], from: '01:30', to: '02:30' }] };
  // 1 November 2026: 01:30 happens twice in New York; the window opens at the second (EST, 06:30Z).
  assert.equal(nextWindow(ny, at('2026-10-31T12:00:00Z'))?.start, at('2026-11-01T06:30:00Z'));
  assert.equal(nextWindow(ny, at('2026-11-02T12:00:00Z'))?.start, at('2026-11-08T06:30:00Z'));
  assert.equal(describeSiteWindows(tueThu), 'Tue, Thu 02:00–04:00 Europe/Riga');
});
