// Fuzzing configuration files: random YAML, mutated copies of the shipped examples and
// random DMCONFIRM__ overrides give a configuration or a ConfigError whose problems each
// carry a path and a message, never another exception and never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ConfigError, parseConfigText } from '../../src/config/load.js';
import { guardProcess, jsonEdit, mutateJson, mutateText, params } from './support.js';

guardProcess();

const ROOT = join(import.meta.dirname, '..', '..');
const sources = [
  join(ROOT, 'config', 'agent.example.yaml'),
  ...readdirSync(join(ROOT, 'config', 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(ROOT, 'config', 'examples', f)),
];
const corpus = sources.map((file) => readFileSync(file, 'utf8'));

/** A directory with every secret the examples name, so a valid example really loads. */
const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-fuzz-config-'));
const credentials = join(dir, 'credentials');
mkdirSync(credentials);
const agentKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
for (const text of corpus) {
  for (const [, name] of text.matchAll(/credential:\s*([A-Za-z0-9_.-]+)/g))
    writeFileSync(join(credentials, name!), name!.endsWith('.key') ? agentKey : `secret-${name}\n`);
  for (const [, name] of text.matchAll(/\bfile:\s*([^\s}]+)/g))
    if (!name!.startsWith('/')) writeFileSync(join(dir, name!), 'secret\n');
}
const env = { CREDENTIALS_DIRECTORY: credentials };
const file = join(dir, 'agent.yaml');

/** A config or a ConfigError with paths: the only two outcomes. */
function loadOrProblems(text: string, environment: NodeJS.ProcessEnv = env): 'config' | 'error' {
  try {
    parseConfigText(text, file, environment);
    return 'config';
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${String((error as Error)?.stack ?? error)}`);
    assert.ok(error.problems.length > 0);
    for (const p of error.problems) assert.ok(p.path.length > 0 && p.message.length > 0, JSON.stringify(p));
    return 'error';
  }
}

/** Regressions found by this suite; each once made parseConfigText throw or exhaust memory. */
const REGRESSIONS: Array<[string, NodeJS.ProcessEnv]> = [
  ['x: &a {}\ny: *b', env], // unresolved alias: yaml's toJS threw a ReferenceError
  [
    [
      'a: &a [x,x,x,x,x,x,x,x,x,x]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(',')}]`,
      ),
    ].join('\n'),
    env,
  ], // alias bomb
  [corpus[0]!, { ...env, DMCONFIRM__ROUTERS__99999999__NAME: 'x' }], // a sparse list of 10^8 entries: out of memory
  [corpus[0]!, { ...env, DMCONFIRM__ROUTERS__1e7: 'x' }],
  [corpus[0]!, { ...env, DMCONFIRM__AGENT: '*x' }], // a YAML error in a value threw from yaml's parse
  [corpus[0]!, { ...env, DMCONFIRM__MQTT__URL: '[a' }],
];

void test('fuzz config: the shipped examples load (control), regressions give a ConfigError', () => {
  for (const text of corpus) assert.equal(loadOrProblems(text), 'config');
  for (const [text, environment] of REGRESSIONS) assert.equal(loadOrProblems(text, environment), 'error');
});

void test('fuzz config: random text and random YAML documents', () => {
  const yamlish = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.jsonValue().map((v) => stringifyYaml(v)),
    fc
      .array(
        fc.constantFrom(
          'a:',
          ' ',
          '- ',
          '&x ',
          '*x ',
          '!!binary ',
          '!!set ',
          '{',
          '}',
          '[',
          ']',
          '? ',
          '<<: ',
          '"',
          "'",
          '\n',
          '  ',
          '#',
          '|',
          '>',
          '%YAML 1.2\n',
          '---\n',
          'routers',
          'agent',
          '1e999',
        ),
        { maxLength: 40 },
      )
      .map((parts) => parts.join('')),
  );
  fc.assert(
    fc.property(yamlish, (text) => void loadOrProblems(text)),
    params(300),
  );
});

void test('fuzz config: structurally mutated examples', () => {
  const parsed = corpus.map((text) => parseYaml(text) as unknown);
  fc.assert(
    fc.property(
      fc.nat({ max: parsed.length - 1 }),
      fc.array(jsonEdit(fc, 2), { minLength: 1, maxLength: 4 }),
      (which, edits) => {
        const mutated = mutateJson(parsed[which], edits);
        void loadOrProblems(mutated === undefined ? '' : stringifyYaml(mutated));
      },
    ),
    params(300),
  );
});

void test('fuzz config: character edits of the examples', () => {
  fc.assert(
    fc.property(
      fc.nat({ max: corpus.length - 1 }),
      fc.nat(),
      fc.string({ maxLength: 6 }),
      fc.nat({ max: 8 }),
      (which, position, insert, drop) => {
        void loadOrProblems(mutateText(corpus[which]!, position, insert, drop));
      },
    ),
    params(300),
  );
});

void test('fuzz config: random DMCONFIRM__ overrides by name and value', () => {
  const segment = fc.oneof(
    fc.constantFrom(
      'AGENT',
      'ID',
      'MQTT',
      'URL',
      'ROUTERS',
      'ACTUATORS',
      'POWER',
      'TIMING',
      'OFF_MS',
      'POLICY',
      'ALLOWED_FEATURES',
      'PASSWORD',
      'FILE',
      'CREDENTIAL',
      'CONSTRUCTOR',
      'PROTOTYPE',
      'LENGTH',
      '__PROTO__',
    ),
    fc.nat({ max: 3 }).map(String),
    fc.constantFrom('99999999', '4294967295', '1e7', '-1', '0x10', '1.5'),
    fc.string({ maxLength: 8 }),
  );
  const name = fc.array(segment, { minLength: 0, maxLength: 5 }).map((parts) => `DMCONFIRM__${parts.join('__')}`);
  const value = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.constantFrom('[a, b]', '{file: /etc/passwd}', '~', '8728', 'yes', '*x', '&a [*a]'),
  );
  fc.assert(
    fc.property(fc.nat({ max: corpus.length - 1 }), fc.dictionary(name, value, { maxKeys: 4 }), (which, overrides) => {
      void loadOrProblems(corpus[which]!, { ...env, ...overrides });
    }),
    params(300),
  );
});
