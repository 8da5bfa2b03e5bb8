import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const unitPath = join(root, 'systemd', 'dmconfirm-agent.service');

function directives(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('[')) continue;
    const at = line.indexOf('=');
    const key = line.slice(0, at);
    map.set(key, [...(map.get(key) ?? []), line.slice(at + 1)]);
  }
  return map;
}

void test('the unit agrees with the code: notify from a child, watchdog, state dir, entry point, credentials', () => {
  const d = directives(readFileSync(unitPath, 'utf8'));
  const one = (k: string) => d.get(k)?.at(-1);
  assert.equal(one('Type'), 'notify');
  assert.equal(one('NotifyAccess'), 'all', 'src/systemd/notify.ts sends from a systemd-notify child process');
  assert.ok(Number(one('WatchdogSec')) > 0);
  assert.equal(one('Restart'), 'always');
  assert.equal(one('StateDirectory'), 'dmconfirm', 'the config default stateDir is /var/lib/dmconfirm');
  assert.equal(one('ProtectSystem'), 'strict');
  assert.equal(one('NoNewPrivileges'), 'yes');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: { dmconfirm: string } };
  assert.ok(one('ExecStart')?.includes(`/opt/dmconfirm/${pkg.bin.dmconfirm} agent --config /etc/dmconfirm/agent.yaml`));
  // Whatever ended the daemon, the actuators are released right after it (see actuator release).
  assert.ok(
    one('ExecStopPost')?.includes(
      `/opt/dmconfirm/${pkg.bin.dmconfirm} actuator release --config /etc/dmconfirm/agent.yaml`,
    ),
  );
  // Every credential the example config names is loaded by the unit.
  const example = readFileSync(join(root, 'config', 'agent.example.yaml'), 'utf8');
  const named = new Set<string>();
  JSON.stringify(parse(example), (key, value: unknown) => {
    if (key === 'credential' && typeof value === 'string') named.add(value);
    return value;
  });
  const loaded = new Set((d.get('LoadCredential') ?? []).map((v) => v.split(':')[0]));
  for (const name of named) assert.ok(loaded.has(name), `LoadCredential for "${name}" is missing`);
});

void test(
  'systemd-analyze accepts every directive of the unit',
  { skip: spawnSync('systemd-analyze', ['--version']).status !== 0 && 'no systemd-analyze' },
  (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-unit-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(unitPath, join(dir, 'dmconfirm-agent.service'));
    const r = spawnSync('systemd-analyze', ['verify', join(dir, 'dmconfirm-agent.service')], { encoding: 'utf8' });
    const complaints = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('dmconfirm-agent.service'));
    assert.deepEqual(complaints, []);
  },
);
