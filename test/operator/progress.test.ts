import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clockTime,
  EXIT,
  foldAnswer,
  formatDuration,
  isOver,
  judgeAnswer,
  outcome,
  renderStep,
  startFollowing,
  summary,
} from '../../src/operator/progress.js';
import type { Following } from '../../src/operator/progress.js';
import type { AgentResponse } from '../../src/mqtt/contract.js';
import { answer, T0 } from './fixtures.js';

const f0 = startFollowing('req-00000001', 'DIGEST', T0);
const fold = (f: Following, ...answers: AgentResponse[]) =>
  answers.reduce((acc, a, i) => foldAnswer(acc, a, T0 + 1000 * (i + 1)).following, f);
const ok = (state: Parameters<typeof answer>[2], final = false) => answer('req-00000001', 'DIGEST', state, { final });

void test('judgeAnswer accepts only answers quoting the digest of our bytes under our id', () => {
  assert.deepEqual(judgeAnswer(f0, ok('pending')), { accept: true });
  assert.match((judgeAnswer(f0, answer('req-00000001', 'OTHER', 'done')) as { why: string }).why, /inReplyTo differs/);
  assert.match((judgeAnswer(f0, answer('req-00000001', undefined, 'done')) as { why: string }).why, /no inReplyTo/);
  assert.match((judgeAnswer(f0, answer('req-99999999', 'DIGEST', 'done')) as { why: string }).why, /not req-00000001/);
});

void test('foldAnswer records accepted steps and counts ignored ones', () => {
  assert.equal(foldAnswer(f0, answer('req-00000001', 'OTHER', 'done', { final: true }), T0).following.ignored, 1);
  assert.equal(foldAnswer(f0, answer('req-00000001', 'OTHER', 'done', { final: true }), T0).following.steps.length, 0);
  assert.equal(foldAnswer(f0, ok('pending'), T0 + 5).step?.receivedAt, T0 + 5);
  assert.equal(isOver(fold(f0, ok('requesting'), ok('pending'))), false);
  assert.equal(isOver(fold(f0, ok('requesting'), ok('done', true))), true);
});

void test('outcome maps the end of the wait to exit codes', () => {
  assert.equal(outcome(fold(f0, ok('requesting'), ok('actuating'), ok('done', true))), EXIT.done);
  assert.equal(outcome(fold(f0, ok('requesting'), ok('failed', true))), EXIT.failed);
  assert.equal(outcome(fold(f0, ok('pending'), ok('expired', true))), EXIT.failed);
  assert.equal(outcome(fold(f0, ok('pending'), ok('cancelled', true))), EXIT.failed);
  assert.equal(
    outcome(fold(f0, answer('req-00000001', 'DIGEST', 'idle', { status: 'error', final: true }))),
    EXIT.refused,
  );
  assert.equal(
    outcome(fold(f0, ok('requesting'), answer('req-00000001', 'DIGEST', 'failed', { status: 'error', final: true }))),
    EXIT.failed,
  );
  assert.equal(outcome(fold(f0, ok('requesting'), ok('pending'))), EXIT.timeout);
  assert.equal(outcome(f0), EXIT.timeout);
  assert.equal(outcome(fold(f0, ok('done', true), ok('failed', true))), EXIT.done);
});

void test('summary says how it ended', () => {
  assert.equal(
    summary(
      fold(
        f0,
        answer('req-00000001', 'DIGEST', 'idle', {
          status: 'error',
          final: true,
          code: 'too-few-approvers',
          detail: '1 of 2',
        }),
      ),
      EXIT.refused,
      1000,
    ),
    'refused (too-few-approvers: 1 of 2)',
  );
  assert.equal(summary(f0, EXIT.timeout, 90_000), 'no answer from the agent within 1m30s');
  assert.equal(
    summary(fold(f0, ok('pending')), EXIT.timeout, 5000),
    'no final answer within 5.0s (last state: pending)',
  );
  assert.equal(summary(fold(f0, ok('failed', true)), EXIT.failed, 5000), 'failed');
  assert.equal(
    summary(fold(f0, answer('req-00000001', 'DIGEST', 'done', { final: true, detail: 'verified' })), EXIT.done, 5000),
    'done: verified',
  );
});

void test('durations, clock times and step lines', () => {
  assert.equal(formatDuration(400), '0.4s');
  assert.equal(formatDuration(12_345), '12s');
  assert.equal(formatDuration(185_000), '3m05s');
  assert.equal(formatDuration(3_720_000), '1h02m');
  assert.equal(clockTime(T0 + 3_000), '12:00:03Z');
  assert.equal(
    renderStep(foldAnswer(f0, ok('actuating'), T0 + 1200).step!, T0),
    '12:00:01Z    +1.2s  actuating         router main',
  );
  assert.equal(
    renderStep(
      foldAnswer(
        f0,
        answer('req-00000001', 'DIGEST', 'idle', {
          status: 'error',
          final: true,
          code: 'replay',
          detail: 'seen before',
        }),
        T0,
      ).step!,
      T0,
    ),
    '12:00:00Z    +0.0s  idle              router main  error replay: seen before',
  );
});

void test('a scheduled order ends the wait with exit 0 and says when its window opens', () => {
  const scheduled = answer('req-00000001', 'DIGEST', 'scheduled', {
    detail: 'scheduled: acts when the window opens at 2026-12-08T00:00:00.000Z',
  });
  const f = fold(f0, scheduled);
  assert.equal(isOver(f), true);
  assert.equal(outcome(f), EXIT.done);
  assert.match(summary(f, outcome(f), 60_000), /^scheduled: .*2026-12-08T00:00/);
  // The final answer when the window opened decides once it is there.
  const later = fold(f, ok('failed', true));
  assert.equal(outcome(later), EXIT.failed);
});
