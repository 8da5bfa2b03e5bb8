import { test } from 'node:test';
import assert from 'node:assert/strict';
import { problemCause } from '../../src/agent/router-problem.js';
import {
  RouterAuthError,
  RouterTimeoutError,
  RouterTlsError,
  RouterUnreachableError,
} from '../../src/routeros/errors.js';

// Each cause an operator can act on is told apart (the e2e tests cover a wrong password and
// a closed port over the wire; the client's own tests produce the TLS and timeout errors).
void test('problemCause names every cause: authentication, refused, timeout, TLS fingerprint, else unreachable', () => {
  const host = '192.0.2.1';
  const errno = (code: string) =>
    new RouterUnreachableError('connect failed', host, { cause: Object.assign(new Error(code), { code }) });
  assert.equal(problemCause(new RouterAuthError('login refused', host)), 'authentication-refused');
  assert.equal(problemCause(new RouterTlsError('certificate fingerprint differs', host)), 'tls-fingerprint-mismatch');
  assert.equal(problemCause(new RouterTimeoutError('/login', 5000, host)), 'timeout');
  assert.equal(problemCause(errno('ECONNREFUSED')), 'connection-refused');
  assert.equal(problemCause(errno('ETIMEDOUT')), 'timeout');
  assert.equal(problemCause(errno('EHOSTUNREACH')), 'unreachable');
});
