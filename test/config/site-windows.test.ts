import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policySchema } from '../../src/config/policy-schema.js';

const site = (over: Record<string, unknown> = {}) => ({
  siteWindows: {
    timeZone: 'Europe/Riga',
    windows: [{ days: ['tue', 'thu'], from: '02:00', to: '04:00' }],
    urgentApprovals: 3,
    ...over,
  },
});
const problems = (value: unknown) => {
  const parsed = policySchema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

void test('site windows: a valid policy parses; every bad field is named with its path', () => {
  assert.deepEqual(problems(site()), []);
  assert.deepEqual(problems({}), [], 'optional');
  assert.match(
    problems(site({ timeZone: 'Europe/Atlantis' })).join('\n'),
    /siteWindows\.timeZone: must be an IANA time zone/,
  );
  assert.match(
    problems(site({ windows: [{ days: ['tuesday'], from: '02:00', to: '04:00' }] })).join('\n'),
    /siteWindows\.windows\.0\.days\.0/,
  );
  assert.match(
    problems(site({ windows: [{ days: ['tue'], from: '2:00', to: '24:00' }] })).join('\n'),
    /from: must be HH:MM[\s\S]*to: must be HH:MM/,
  );
  assert.match(
    problems(site({ windows: [{ days: ['tue'], from: '02:00', to: '02:00' }] })).join('\n'),
    /from and to must differ/,
  );
  assert.match(problems(site({ windows: [] })).join('\n'), /siteWindows\.windows/);
  assert.match(problems(site({ urgentApprovals: 0 })).join('\n'), /siteWindows\.urgentApprovals/);
  assert.match(
    problems({ siteWindows: { timeZone: 'UTC', windows: [{ days: ['mon'], from: '01:00', to: '02:00' }] } }).join('\n'),
    /urgentApprovals/,
  );
});
