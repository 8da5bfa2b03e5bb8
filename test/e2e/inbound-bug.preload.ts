/**
 * TEST ONLY preload for the daemon (`node --import tsx --import ./test/e2e/inbound-bug.preload.ts`):
 * the inbound dispatcher throws a TypeError on every change request, as a bug on the
 * inbound path would. The daemon must end without acknowledging the message (crash-only),
 * so that it comes again once the daemon is restarted (without this preload): agent-crash.e2e.test.ts.
 */
import { InboundDispatcher } from '../../src/agent/inbound.js';

// eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound with call() below
const handle = InboundDispatcher.prototype.handle;
InboundDispatcher.prototype.handle = function (this: InboundDispatcher, message) {
  if (message.topic.endsWith('/request')) return Promise.reject(new TypeError('injected inbound bug'));
  return handle.call(this, message);
};
