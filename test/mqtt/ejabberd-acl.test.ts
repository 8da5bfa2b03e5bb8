/**
 * The shipped mosquitto ACL translated to ejabberd mod_mqtt rules (test/helpers/ejabberd-acl.ts),
 * used by bench/ejabberd-cluster.ts: every line of config/mosquitto-acl.conf has its rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ejabberdAccess } from '../helpers/ejabberd-acl.js';

const allowed = (
  access: ReturnType<typeof ejabberdAccess>,
  map: 'access_subscribe' | 'access_publish',
  topic: string,
) => (access.rules.access_rules[access.mqtt[map][topic] ?? ''] ?? []).map((r) => r.allow);

void test('each agent pattern becomes a %u rule open to every login; each user line a rule for that user', () => {
  const access = ejabberdAccess();
  assert.deepEqual(allowed(access, 'access_subscribe', 'dmconfirm/v1/+/%u/request'), ['all']);
  assert.deepEqual(allowed(access, 'access_publish', 'dmconfirm/v1/+/%u/routers/+/state'), ['all']);
  assert.deepEqual(allowed(access, 'access_publish', 'dmconfirm/v1/+/+/release'), ['user_rollout_coordinator']);
  assert.deepEqual(allowed(access, 'access_publish', 'dmconfirm/v1/+/+/request'), ['user_operator_alice']);
  assert.ok(allowed(access, 'access_subscribe', 'dmconfirm/v1/#').includes('user_rollout_coordinator'));
  assert.deepEqual(access.rules.acl.user_operator_bob, { user: ['operator-bob'] });
  assert.equal(access.mqtt.access_publish['dmconfirm/v1/+/+/release'], 'may_rollout_coordinator');
  assert.equal(access.mqtt.access_subscribe['dmconfirm/v1/+/%u/request'], 'may_all');
  // Agents never get a wildcard over other agents' topics, and nobody but the coordinator releases.
  assert.equal(access.mqtt.access_subscribe['dmconfirm/v1/+/+/request'], undefined);
});

void test('a line the translation does not understand is an error, not a silently open topic', () => {
  assert.throws(() => ejabberdAccess('user alice\ntopic read a/#\ndeny a/b\n'), /unexpected ACL line: deny a\/b/);
  assert.throws(() => ejabberdAccess('user alice\ntopic deny a/b\n'), /untranslatable ACL line: topic deny a\/b/);
  assert.deepEqual(ejabberdAccess('pattern readwrite x/%u/#\n').mqtt.access_publish['x/%u/#'], 'may_all');
});
