/**
 * The clustered-broker experiment of docs/fleets.md, repeatable: a throwaway two-node
 * ejabberd cluster (Debian's package, mod_mqtt) with the contract's per-agent ACL, probed for
 * every feature the contract relies on, on one node and across the two in both directions.
 *
 *   node --import tsx bench/ejabberd-cluster.ts
 *
 * Exits 2 when ejabberd is not installed, 1 when any feature failed.
 */
import { PROBE_USERS, probeBroker, shippedAclIdentities } from '../test/helpers/broker-conformance.js';
import { formatVerdicts } from '../test/helpers/broker-verdicts.js';
import { EjabberdCluster, ejabberdLibs, ejabberdVersion } from '../test/helpers/ejabberd.js';

if (!ejabberdLibs()) {
  process.stderr.write('ejabberd is not installed: apt-get install ejabberd (the packaged service need not run)\n');
  process.exit(2);
}
const PASSWORD = 'probe-secret';
const cluster = new EjabberdCluster(2);
let failed = false;
try {
  await cluster.start();
  for (const user of PROBE_USERS) cluster.register(user, PASSWORD);
  const identities = shippedAclIdentities(PASSWORD);
  process.stdout.write(
    `ejabberd ${ejabberdVersion()}, cluster: ${cluster.ctl(0, 'list_cluster').trim().split('\n').join(', ')}\n`,
  );
  for (const [label, from, to] of [
    ['one node', 0, 0],
    ['published on node 0, received on node 1', 0, 1],
    ['published on node 1, received on node 0', 1, 0],
  ] as const) {
    const verdicts = await probeBroker({ publishUrl: cluster.url(from), receiveUrl: cluster.url(to), ...identities });
    failed ||= verdicts.some((v) => v.status === 'fail');
    process.stdout.write(`\n${label}:\n${formatVerdicts(verdicts)}\n`);
  }
} finally {
  await cluster.dispose();
}
process.exit(failed ? 1 : 0);
