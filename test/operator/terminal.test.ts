import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Terminal } from '../../src/operator/terminal.js';

const capture = (isTTY: boolean) => {
  const out = { text: '', isTTY, write: (s: string) => (out.text += s) };
  return out;
};

void test('Terminal: plain lines and no spinner when not a TTY', () => {
  const out = capture(false);
  const term = new Terminal(out);
  term.spin(() => 'waiting');
  term.line('one');
  term.stop();
  assert.equal(out.text, 'one\n');
});

void test('Terminal: on a TTY a line replaces the spinner, which comes back below it; stop clears it', () => {
  const out = capture(true);
  const term = new Terminal(out);
  let state = 'waiting';
  term.spin(() => state, 60_000);
  state = 'pending';
  term.line('12:00:00Z  pending');
  term.stop();
  assert.equal(out.text, '\r\x1b[K⠋ waiting\r\x1b[K12:00:00Z  pending\n\r\x1b[K⠋ pending\r\x1b[K');
});
