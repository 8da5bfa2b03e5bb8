import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modeDefaults } from '../../src/routeros/device-mode.js';
import {
  apiWords,
  changeApplied,
  parseDeviceMode,
  parseIdentity,
  parseResource,
  RouterReplyError,
  updateWords,
} from '../../src/routeros/parse.js';

void test('an uptime that is not a RouterOS duration is a RouterReplyError', () => {
  assert.equal(parseResource({ uptime: '3m10s500ms' }).uptimeSeconds, 190.5);
  for (const bad of ['', 'soon', '5x', '1h 2m', '-1s'])
    assert.throws(() => parseResource({ uptime: bad }), RouterReplyError, bad);
});

void test('device-mode accepts true/false and yes/no, and enterprise as advanced', () => {
  const api = parseDeviceMode({
    mode: 'home',
    scheduler: 'false',
    socks: 'false',
    container: 'true',
    flagged: 'false',
    'attempt-count': '2',
  });
  assert.equal(api.mode, 'home');
  assert.equal(api.features.container, true);
  assert.equal(api.features.scheduler, false);
  assert.equal(api.attemptCount, 2);
  const cli = parseDeviceMode({ mode: 'enterprise', container: 'yes', flagged: 'yes', 'flagging-enabled': 'no' });
  assert.equal(cli.mode, 'advanced');
  assert.equal(cli.features.container, true);
  assert.equal(cli.flagged, true);
  assert.equal(cli.flaggingEnabled, false);
  // Unlisted features follow the mode.
  assert.equal(cli.features.socks, modeDefaults('advanced').socks);
  assert.throws(() => parseDeviceMode({ mode: 'turbo' }), RouterReplyError);
  assert.throws(() => parseDeviceMode({ mode: 'home', fetch: 'maybe' }), /fetch/);
  assert.throws(() => parseDeviceMode({ mode: 'home', 'attempt-count': 'x' }), /attempt-count/);
});

void test('update words: mode, features as yes/no, flagged=no, timeout in seconds', () => {
  assert.deepEqual(
    updateWords({ mode: 'advanced', features: { container: true, fetch: false }, flagged: false }, 300),
    [
      '/system/device-mode/update',
      '=mode=advanced',
      '=container=yes',
      '=fetch=no',
      '=flagged=no',
      '=activation-timeout=300s',
    ],
  );
});

void test('apiWords: attributes from a map, booleans as yes/no, undefined left out', () => {
  assert.deepEqual(
    apiWords('/interface/ethernet/poe/power-cycle', {
      numbers: 'ether5',
      duration: '5s',
      once: true,
      skip: undefined,
      n: 3,
    }),
    ['/interface/ethernet/poe/power-cycle', '=numbers=ether5', '=duration=5s', '=once=yes', '=n=3'],
  );
});

void test('changeApplied: mode= resets overrides, feature-only keeps the rest', () => {
  const before = parseDeviceMode({ mode: 'home', container: 'yes' });
  const toAdvanced = parseDeviceMode({ mode: 'advanced' });
  assert.equal(changeApplied(before, { mode: 'advanced' }, toAdvanced), true);
  assert.equal(changeApplied(before, { mode: 'advanced', features: { container: true } }, toAdvanced), false);
  const fetchOn = parseDeviceMode({ mode: 'home', container: 'yes', fetch: 'yes' });
  assert.equal(changeApplied(before, { features: { fetch: true } }, fetchOn), true);
  assert.equal(changeApplied(before, { features: { fetch: true } }, before), false);
});

void test('identity from routerboard or license, resource uptime', () => {
  const resource = { uptime: '1d1s', version: '7.22 (stable)', 'board-name': 'hAP ax^3', 'architecture-name': 'arm64' };
  assert.deepEqual(parseResource(resource), {
    uptimeSeconds: 86_401,
    version: '7.22 (stable)',
    boardName: 'hAP ax^3',
    architecture: 'arm64',
  });
  const rb = parseIdentity(
    { name: 'site-7' },
    resource,
    { model: 'C53UiG+5HPaxD2HPaxD', 'serial-number': 'HE0812345', 'current-firmware': '7.22' },
    undefined,
  );
  assert.deepEqual(rb, {
    name: 'site-7',
    model: 'C53UiG+5HPaxD2HPaxD',
    serial: 'HE0812345',
    firmware: '7.22',
    version: '7.22 (stable)',
    boardName: 'hAP ax^3',
    architecture: 'arm64',
  });
  const chr = parseIdentity({ name: 'chr' }, resource, undefined, { 'system-id': 'abcDEF' });
  assert.equal(chr.systemId, 'abcDEF');
  assert.equal(chr.serial, undefined);
});
