import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { commandGroups, commandsFor } from '../../src/cli/commands/index.js';

void test('each group registers exactly the top-level commands it is listed under', async () => {
  for (const group of commandGroups) {
    const program = new Command();
    (await group.load())(program);
    assert.deepEqual(program.commands.map((c) => c.name()).sort(), [...group.names].sort());
  }
});

void test('a command line loads only its own group; help and unknown names load every group', async () => {
  assert.equal((await commandsFor(['agent', '--config', '/etc/dmconfirm/agent.yaml'])).length, 1);
  assert.equal((await commandsFor(['trust', 'show', 'trust.json'])).length, 1);
  assert.equal((await commandsFor(['--help'])).length, commandGroups.length);
  assert.equal((await commandsFor(['agnt'])).length, commandGroups.length);
  assert.equal((await commandsFor([])).length, commandGroups.length);
});
