import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYP } from '../../src/trust/messages.js';
import { verifyChangeRequest } from '../../src/trust/verify.js';
import { context, keys, requestPayload, sign, text, trustRootV1 } from './fixtures.js';

test('a 2-of-3 co-signed change request is accepted', async () => {
  const root = await trustRootV1();
  const msg = text(await sign(requestPayload(), TYP.request, [keys.alice, keys.bob]));
  const verdict = await verifyChangeRequest(msg, context(root));
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
});
