// Issue 12: `rollout status` from another machine than the coordinator's. The coordinator
// publishes its status retained on the broker (summary + pages of targets); an operator reads
// it with `rollout status --broker`, through the shipped ACL (config/mosquitto-acl.conf,
// verbatim), where no agent can forge it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { rolloutTopics } from '../../src/mqtt/contract.js';
import { generateKeyFiles } from '../../src/trust/keys.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { Observer } from '../helpers/mqtt-clients.js';
import { cli, fails, ok } from '../trust/cli-harness.js';
import { tempDir } from '../trust/fixtures.js';

const ACL = fileURLToPath(new URL('../../config/mosquitto-acl.conf', import.meta.url));
const PASSWORD = 'correct-horse';
const ID = 'spring-container';

void test(
  "rollout status --broker: the coordinator's journal, 450 targets in pages, via the ACL; agents cannot forge it",
  { timeout: 120_000 },
  async (t) => {
    const d = tempDir(t);
    for (const name of ['alice', 'bob', 'ops-bot']) await generateKeyFiles(join(d, name));
    const root = ['--root', 'alice.pub,bob.pub', '--root-threshold', '2', '--key', 'alice', '--key', 'bob'];
    const approvers = ['--approver', 'alice.pub,bob.pub', '--approver-threshold', '2', '--requester', 'ops-bot.pub'];
    await ok(d, ['trust', 'init', '--out', 'trust.json', ...root, ...approvers]);
    const targets = Array.from({ length: 450 }, (_, i) => ({
      site: `site-${i % 7}`,
      agent: `pi-${i}`,
      router: { serial: `HF${10_000 + i}` },
    }));
    await writeFile(join(d, 'fleet.yaml'), stringify({ targets }));
    const plan = ['rollout', 'plan', '--targets', 'fleet.yaml', '--id', ID, '--enable', 'container'];
    const rules = ['--not-after', '+2d', '--waves', '2,rest', '--abort-failures', '2', '--min-executed', '2'];
    await ok(d, [
      ...plan,
      '--method',
      'power',
      ...rules,
      '--coordinator',
      'ops-bot',
      '--key',
      'ops-bot.key',
      '--out',
      'c.json',
    ]);
    for (const key of ['alice.key', 'bob.key']) await ok(d, ['cosign', 'c.json', '--key', key]);

    const broker = new Mosquitto({ extraConfig: ['allow_anonymous false', `acl_file ${ACL}`] });
    t.after(() => broker.dispose());
    const passwd = broker.writeFile('passwd', '');
    for (const user of ['rollout-coordinator', 'operator-alice', 'pi-0']) {
      execFileSync('mosquitto_passwd', ['-b', passwd, user, PASSWORD]);
      await writeFile(join(d, `${user}.pw`), `${PASSWORD}\n`, { mode: 0o600 });
    }
    broker.extraConfig.push(`password_file ${passwd}`);
    await broker.start();
    const as = (user: string) => ['--broker', broker.url, '--username', user, '--password-file', `${user}.pw`];

    await fails(d, ['rollout', 'status', ...as('operator-alice'), '--id', ID], 2, /no status of campaign/);
    // No agent answers: wave 0 times out, which meets the criterion; the 448 others are cancelled.
    const start = ['rollout', 'start', '--state-dir', 'rollout', '--campaign', 'c.json', '--targets', 'fleet.yaml'];
    const timing = ['--tick', '100ms', '--target-timeout', '2s', '--release-validity', '2s'];
    const run = await cli(d, [
      ...start,
      '--trust-root',
      'trust.json',
      '--key',
      'ops-bot.key',
      ...timing,
      ...as('rollout-coordinator'),
    ]);
    assert.equal(run.code, 1, run.out);

    const local = await ok(d, ['rollout', 'status', '--state-dir', 'rollout', '--all']);
    const remote = await ok(d, ['rollout', 'status', ...as('operator-alice'), '--id', ID, '--all']);
    assert.match(remote, /timed-out 2, refused 0, cancelled 448/);
    assert.match(remote, /abort criteria .*: MET: 2 of 2 executed failed/);
    assert.match(remote, /^ {2}as of .* s ago\)$/m);
    const withoutAge = (text: string) => text.split('\n').filter((l) => !l.startsWith('  as of '));
    assert.deepEqual(withoutAge(remote), withoutAge(local), 'the broker shows what the journal holds');
    assert.equal(remote.match(/^ {2}wave \d /gm)?.length, 450, 'every target, from three pages');

    // Without --id: every campaign's summary, no targets; --json: the status as published.
    const all = await ok(d, ['rollout', 'status', ...as('operator-alice')]);
    assert.match(all, new RegExp(`^campaign ${ID}: finished .*; 1 of 2 wave\\(s\\) released$`, 'm'));
    assert.doesNotMatch(all, /^ {2}wave /m);
    const json = JSON.parse(await ok(d, ['rollout', 'status', ...as('operator-alice'), '--id', ID, '--json'])) as {
      summary: { targets: { pages: number; pageSize: number } };
      targets: unknown[];
    };
    assert.deepEqual(json.summary.targets, { count: 450, pageSize: 200, pages: 3 });
    assert.equal(json.targets.length, 450);

    // An agent's credentials cannot overwrite the campaign's status (the ACL), nor can an operator's.
    const topics = rolloutTopics('dmconfirm/v1', ID);
    for (const user of ['pi-0', 'operator-alice']) {
      const forger = await Observer.connect(broker.url, [], { username: user, password: PASSWORD });
      t.after(() => forger.close());
      for (const topic of [topics.summary, topics.page(0)])
        await forger.client.publishAsync(topic, '{"forged":true}', { qos: 1, retain: true }).catch(() => undefined);
    }
    const after = await ok(d, ['rollout', 'status', ...as('operator-alice'), '--id', ID, '--all']);
    assert.deepEqual(withoutAge(after), withoutAge(local));
  },
);
