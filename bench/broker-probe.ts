/**
 * Runs the broker conformance probe (test/helpers/broker-conformance.ts) against any broker:
 *
 *   node --import tsx bench/broker-probe.ts URL [URL2] [--user U --password P]
 *     [--acl SITE:AGENT1:AGENT2:OPERATOR --acl-password P] [--only routing,retained,...]
 *     [--timeout-ms MS] [--ca CA.pem]
 *
 * With URL2 the two URLs are two nodes of one cluster: published on URL, received on URL2,
 * a session opened on URL2 resumed on URL. Prints one line per feature; exits 1 if any failed.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CHECKS, probeBroker, type ProbeTarget } from '../test/helpers/broker-conformance.js';
import { formatVerdicts } from '../test/helpers/broker-verdicts.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    user: { type: 'string' },
    password: { type: 'string' },
    acl: { type: 'string' },
    'acl-password': { type: 'string' },
    only: { type: 'string' },
    'timeout-ms': { type: 'string' },
    ca: { type: 'string' },
  },
});
const [publishUrl, receiveUrl] = positionals;
if (!publishUrl) {
  process.stderr.write('usage: bench/broker-probe.ts URL [URL2] [--user U --password P] [--acl S:A1:A2:OP]\n');
  process.exit(2);
}
const target: ProbeTarget = { publishUrl, receiveUrl: receiveUrl ?? publishUrl };
if (values['timeout-ms']) target.timeoutMs = Number(values['timeout-ms']);
if (values.ca) target.clientOptions = { ca: readFileSync(values.ca) };
if (values.user) target.login = { username: values.user, password: values.password ?? '' };
if (values.acl) {
  const [site, a1, a2, operator] = values.acl.split(':');
  const password = values['acl-password'] ?? '';
  if (!site || !a1 || !a2 || !operator) throw new Error('--acl wants SITE:AGENT1:AGENT2:OPERATOR');
  target.acl = {
    site,
    agents: [
      { username: a1, password },
      { username: a2, password },
    ],
    operator: { username: operator, password },
  };
}
const names = Object.keys(CHECKS) as Array<keyof typeof CHECKS>;
const only = values.only?.split(',') ?? names;
const unknown = only.filter((n) => !names.includes(n as keyof typeof CHECKS));
if (unknown.length > 0) throw new Error(`--only: unknown check(s) ${unknown.join(', ')}; known: ${names.join(', ')}`);
const verdicts = await probeBroker(target, only as Array<keyof typeof CHECKS>);
process.stdout.write(`${formatVerdicts(verdicts)}\n`);
process.exit(verdicts.some((v) => v.status === 'fail') ? 1 : 0);
