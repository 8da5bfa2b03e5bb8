// Fuzzing what the operator's CLI reads back: answers on progress/<id> and the retained
// fleet state that `dmconfirm status` folds. Random and mutated payloads are set aside
// with a ContractError or a malformed entry, never thrown out of the fold or the table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ContractError, encodePayload, parsePayload, responseSchema } from '../../src/mqtt/contract.js';
import { emptyFleet, fleetJson, fleetRows, foldFleet, renderTable, type Fleet } from '../../src/operator/fleet.js';
import { foldAnswer, outcome, renderStep, startFollowing, summary } from '../../src/operator/progress.js';
import { answer, challenge, routerState, status, T0 } from '../operator/fixtures.js';
import { jsonEdit, mutateJson, params } from './support.js';

const B = 'dmconfirm/v1';
/** A mutation may remove the whole message: that arrives as an empty payload. */
const encode = (value: unknown): string => (value === undefined ? '' : encodePayload(value));
const valid = {
  'lab/pi1/status': status('lab', 'pi1', 'online', '2026-05-01T11:00:00Z'),
  'lab/pi1/routers/main/state': routerState('main'),
  'lab/pi1/routers/main/challenge': challenge('main', '2026-05-01T12:04:00Z'),
} as const;
type Where = keyof typeof valid;
const where = fc.constantFrom(...(Object.keys(valid) as Where[]));

/** A retained payload: random bytes, random JSON, empty, or a structurally mutated valid message. */
const retained = (at: Where) =>
  fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.jsonValue().map(encodePayload),
    fc.constant(''),
    fc.array(jsonEdit(fc), { minLength: 1, maxLength: 3 }).map((edits) => encode(mutateJson(valid[at], edits))),
    fc.constant(encodePayload(valid[at])),
  );

const message = where.chain((at) => retained(at).map((payload) => ({ topic: `${B}/${at}`, payload })));
const foreign = fc.record({
  topic: fc.oneof(
    fc.string(),
    fc.string().map((s) => `${B}/${s}`),
  ),
  payload: fc.string(),
});

void test('fuzz status: any sequence of retained payloads folds, renders and serializes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(message, foreign), { maxLength: 12 }),
      fc.integer({ min: 0, max: 4e12 }),
      (messages, now) => {
        let fleet: Fleet = emptyFleet();
        for (const m of messages) fleet = foldFleet(fleet, B, m);
        const rows = fleetRows(fleet, now);
        renderTable(rows);
        JSON.stringify(fleetJson(fleet));
        // Whatever was folded is either in the model or set aside, never both.
        for (const topic of Object.keys(fleet.malformed)) assert.ok(topic.startsWith(`${B}/`));
      },
    ),
    params(300),
  );
});

void test('fuzz status: a bad payload never replaces good state, and the good one comes back', () => {
  fc.assert(
    fc.property(where, fc.uint8Array({ minLength: 1, maxLength: 80 }), (at, junk) => {
      const topic = `${B}/${at}`;
      const good = foldFleet(emptyFleet(), B, { topic, payload: encodePayload(valid[at]) });
      let bad: Fleet;
      try {
        bad = foldFleet(good, B, { topic, payload: Buffer.from(junk) });
      } catch (error) {
        assert.fail(`foldFleet threw ${String(error)}`);
      }
      if (bad.malformed[topic] !== undefined) assert.deepEqual(bad.agents, good.agents);
    }),
    params(200),
  );
});

void test('fuzz --wait: answers are parsed by the schema or refused with a ContractError; folding never throws', () => {
  const follow = startFollowing('req-1', 'digest-1', T0);
  const base = answer('req-1', 'digest-1', 'actuating');
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
          fc.jsonValue().map(encodePayload),
          fc.array(jsonEdit(fc), { minLength: 1, maxLength: 3 }).map((edits) => encode(mutateJson(base, edits))),
        ),
        { maxLength: 8 },
      ),
      (payloads) => {
        let f = follow;
        for (const payload of payloads) {
          let parsed;
          try {
            parsed = parsePayload(responseSchema, `${B}/lab/pi1/progress/req-1`, payload);
          } catch (error) {
            assert.ok(error instanceof ContractError, String(error));
            assert.ok(error.message.length > 0);
            continue;
          }
          const { following, step } = foldAnswer(f, parsed, T0 + 1000);
          f = following;
          if (step) renderStep(step, T0);
        }
        summary(f, outcome(f), 30_000);
      },
    ),
    params(300),
  );
});
