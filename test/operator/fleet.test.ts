import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePayload } from '../../src/mqtt/contract.js';
import {
  age,
  agentStatusCell,
  challengeCell,
  deviceModeCell,
  emptyFleet,
  fleetJson,
  fleetRows,
  foldFleet,
  lastResultCell,
  operationCell,
  renderTable,
  settled,
  span,
} from '../../src/operator/fleet.js';
import type { Fleet, FleetMessage } from '../../src/operator/fleet.js';
import { challenge, routerState, status, T0 } from './fixtures.js';

const B = 'dmconfirm/v1';
const msg = (topic: string, value: unknown): FleetMessage => ({
  topic: `${B}/${topic}`,
  payload: value === '' ? '' : encodePayload(value),
});
const fold = (...messages: FleetMessage[]): Fleet => messages.reduce((f, m) => foldFleet(f, B, m), emptyFleet());
const online = msg('lab/pi1/status', status('lab', 'pi1', 'online', '2026-05-01T11:00:00Z'));
const main = msg('lab/pi1/routers/main/state', routerState('main'));

void test('foldFleet keeps status, router state and challenge per agent', () => {
  assert.equal(fold(online).agents['lab/pi1']?.status?.state, 'online');
  assert.equal(fold(online, main).agents['lab/pi1']?.routers.main?.state?.attemptCount, 0);
  assert.equal(fold(main).agents['lab/pi1']?.status, undefined);
  assert.equal(
    fold(msg('lab/pi1/routers/main/challenge', challenge('main'))).agents['lab/pi1']?.routers.main?.challenge
      ?.operationId,
    'op-7',
  );
  assert.equal(
    fold(online, msg('lab/pi1/status', status('lab', 'pi1', 'offline', '2026-05-01T11:30:00Z', 'connection-lost')))
      .agents['lab/pi1']?.status?.state,
    'offline',
  );
});

void test('foldFleet: an empty retained payload clears, foreign topics are ignored, bad payloads are set aside', () => {
  assert.equal(
    fold(main, msg('lab/pi1/routers/main/challenge', challenge('main')), msg('lab/pi1/routers/main/challenge', ''))
      .agents['lab/pi1']?.routers.main?.challenge,
    undefined,
  );
  assert.deepEqual(fold(main, msg('lab/pi1/routers/main/state', '')).agents, {});
  assert.deepEqual(fold(online, msg('lab/pi1/status', '')).agents, {});
  assert.deepEqual(fold({ topic: 'other/lab/pi1/status', payload: '{}' }), emptyFleet());
  assert.deepEqual(fold(msg('lab/pi1/events', { anything: 1 })), emptyFleet());
  assert.match(fold(msg('lab/pi1/status', { v: 1, state: 'online' })).malformed[`${B}/lab/pi1/status`] ?? '', /agent/);
  assert.deepEqual(fold(msg('lab/pi1/status', { v: 1 }), online).malformed, {});
  assert.equal(fold(online, msg('lab/pi1/status', 'nope')).agents['lab/pi1']?.status?.state, 'online');
});

void test('cells: ages, agent status, device-mode, operation, last result, challenge', () => {
  assert.equal(age('2026-05-01T11:59:48Z', T0), '12s');
  assert.equal(age('2026-05-01T11:55:00Z', T0), '5m');
  assert.equal(age('2026-04-29T12:00:00Z', T0), '2d');
  assert.equal(age('2026-05-01T13:00:00Z', T0), '?');
  assert.equal(age('yesterday', T0), '?');
  assert.equal(span(3 * 3600_000 + 5), '3h');
  assert.equal(agentStatusCell(undefined, T0), '?');
  assert.equal(agentStatusCell(status('lab', 'pi1', 'online', '2026-05-01T11:00:00Z'), T0), 'online 1h');
  assert.equal(
    agentStatusCell(status('lab', 'pi1', 'offline', '2026-05-01T11:50:00Z', 'connection-lost'), T0),
    'offline 10m (connection-lost)',
  );
  assert.equal(agentStatusCell(status('lab', 'pi1', 'offline', '2026-05-01T11:50:00Z', 'stopped'), T0), 'offline 10m');
  // A last will's time is when the agent connected: the heartbeat after it says when it was last seen.
  assert.equal(
    agentStatusCell(
      status('lab', 'pi1', 'offline', '2026-05-01T10:00:00Z', 'connection-lost'),
      T0,
      '2026-05-01T11:59:00Z',
    ),
    'offline 1m (connection-lost)',
  );
  assert.equal(deviceModeCell(routerState('main')), 'home');
  assert.equal(
    deviceModeCell(
      routerState('main', {
        deviceMode: {
          mode: 'home',
          features: { container: true, scheduler: false },
          flaggingEnabled: true,
          allowedVersions: '',
        },
      }),
    ),
    'home (container)',
  );
  assert.equal(deviceModeCell(routerState('main', { deviceMode: null })), '?');
  assert.equal(operationCell(routerState('main'), T0), '-');
  assert.equal(
    operationCell(
      routerState('main', {
        operation: { id: 'op-1', kind: 'change', state: 'actuating', since: '2026-05-01T11:59:30Z' },
      }),
      T0,
    ),
    'change actuating 30s',
  );
  assert.equal(
    lastResultCell(
      routerState('main', { lastResult: { operationId: 'op-0', state: 'done', at: '2026-05-01T09:00:00Z' } }),
      T0,
    ),
    'done 3h ago',
  );
  assert.equal(
    lastResultCell(
      routerState('main', {
        lastResult: { operationId: 'op-0', state: 'failed', at: '2026-05-01T11:00:00Z', detail: 'router-not-back' },
      }),
      T0,
    ),
    'failed 1h ago: router-not-back',
  );
  assert.equal(challengeCell(undefined, T0), '-');
  assert.equal(challengeCell(challenge('main'), T0), 'open op-7');
  // An older agent (no expiresInMs): its wall clock is all there is, and the cell says so.
  assert.equal(challengeCell(challenge('main', '2026-05-01T12:04:00Z'), T0), 'open op-7, 4m left (agent clock)');
  assert.equal(
    challengeCell({ ...challenge('main', '2026-05-01T12:04:00Z'), endAssumed: true }, T0),
    'open op-7, up to 4m left (agent clock)',
  );
  assert.equal(challengeCell(challenge('main', '2026-05-01T11:59:00Z'), T0), 'expired op-7 (agent clock)');
});

void test('challengeCell counts expiresInMs down from arrival; a stored one is at most that', () => {
  // The agent's wall clock is an hour off (expiresAt in the past); its monotonic time left is right.
  const c = { ...challenge('main', '2026-05-01T11:04:00Z'), expiresInMs: 5 * 60_000 };
  const live = { at: T0, stored: false };
  assert.equal(challengeCell(c, T0, live), 'open op-7, 5m left');
  assert.equal(challengeCell(c, T0 + 2 * 60_000, live), 'open op-7, 3m left');
  assert.equal(challengeCell(c, T0 + 5 * 60_000, live), 'expired op-7');
  assert.equal(challengeCell(c, T0 + 60_000, { at: T0, stored: true }), 'open op-7, up to 4m left');
  assert.equal(challengeCell({ ...c, endAssumed: true }, T0, live), 'open op-7, up to 5m left');
  // Without an arrival time (a pure caller), only the wall clock is left.
  assert.equal(challengeCell(c, T0), 'expired op-7 (agent clock)');
});

void test('foldFleet keeps when a challenge arrived, and forgets it with the challenge', () => {
  const seen = { at: T0, stored: true };
  const topic = 'lab/pi1/routers/main/challenge';
  const opened = fold(main, { ...msg(topic, challenge('main')), seen });
  assert.deepEqual(opened.agents['lab/pi1']?.routers.main?.challengeSeen, seen);
  const restated = foldFleet(opened, B, { ...main, seen: { at: T0 + 1, stored: false } });
  assert.deepEqual(
    restated.agents['lab/pi1']?.routers.main?.challengeSeen,
    seen,
    'a state message is not the challenge',
  );
  const closed = foldFleet(opened, B, msg(topic, ''));
  assert.equal(closed.agents['lab/pi1']?.routers.main?.challengeSeen, undefined);
});

void test('fleetRows: one row per router, sorted; an agent without routers gets one row', () => {
  const f = fold(
    online,
    main,
    msg('lab/pi1/routers/edge/state', routerState('edge', { reachable: false, attemptCount: null, flagged: true })),
    msg('a-site/pi9/status', status('a-site', 'pi9', 'online', '2026-05-01T11:59:00Z')),
  );
  assert.deepEqual(
    fleetRows(f, T0).map((r) => `${r.SITE}/${r.AGENT}/${r.ROUTER}`),
    ['a-site/pi9/-', 'lab/pi1/edge', 'lab/pi1/main'],
  );
  assert.deepEqual(fleetRows(f, T0)[1], {
    SITE: 'lab',
    AGENT: 'pi1',
    'AGENT STATUS': 'online 1h',
    ROUTER: 'edge',
    REACHABLE: 'no',
    MODE: 'home',
    ATTEMPTS: '?',
    FLAGGED: 'yes',
    OPERATION: '-',
    'LAST RESULT': '-',
    CHALLENGE: '-',
  });
  assert.equal(fleetRows(fold(main), T0)[0]?.['AGENT STATUS'], '?');
  assert.deepEqual(fleetRows(emptyFleet(), T0), []);
  // An offline agent vouches for nothing: its routers show as unknown, not as reachable.
  const gone = fold(
    main,
    msg('lab/pi1/status', status('lab', 'pi1', 'offline', '2026-05-01T11:00:00Z', 'connection-lost')),
  );
  assert.equal(fleetRows(gone, T0)[0]?.REACHABLE, '?');
});

void test('renderTable pads columns under their headers', () => {
  assert.deepEqual(renderTable(fleetRows(fold(online, main), T0), ['SITE', 'AGENT', 'ROUTER', 'ATTEMPTS']), [
    'SITE  AGENT  ROUTER  ATTEMPTS',
    'lab   pi1    main    0',
  ]);
  assert.deepEqual(renderTable([], ['SITE', 'AGENT']), ['SITE  AGENT']);
});

void test('fleetJson groups the contract messages by agent and router', () => {
  assert.deepEqual(fleetJson(fold(main)), {
    agents: [
      {
        site: 'lab',
        agent: 'pi1',
        status: null,
        routers: [{ router: 'main', state: routerState('main'), challenge: null }],
      },
    ],
    malformed: {},
  });
});

void test('settled: after a quiet spell, or at the latest after maxMs', () => {
  assert.equal(settled(1000, undefined, 1299, 300, 3000), false);
  assert.equal(settled(1000, undefined, 1300, 300, 3000), true);
  assert.equal(settled(1000, 1200, 1400, 300, 3000), false);
  assert.equal(settled(1000, 3900, 4000, 300, 3000), true);
});
