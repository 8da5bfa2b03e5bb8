import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, CommanderError } from 'commander';
import { commandGroups } from '../../src/cli/commands/index.js';
import { refuseBlankValues } from '../../src/cli/blank-values.js';
import { conciseUsageErrors } from '../../src/cli/usage.js';

// An empty or blank value is never "option not given": every value option of every command,
// and every argument, refuses it as a usage error naming it (exit 2), before anything runs.
async function program(): Promise<{ program: Command; said: string[] }> {
  const p = new Command('dmconfirm');
  for (const group of commandGroups) (await group.load())(p);
  conciseUsageErrors(p);
  refuseBlankValues(p);
  const said: string[] = [];
  const quiet = (c: Command): void => {
    c.configureOutput({ writeErr: (s) => void said.push(s), writeOut: () => undefined });
    c.commands.forEach(quiet);
  };
  quiet(p);
  return { program: p, said };
}

function leaves(command: Command, path: string[] = []): string[][] {
  if (command.commands.length === 0) return [path];
  return command.commands.flatMap((c) => leaves(c, [...path, c.name()]));
}

async function refusal(args: string[]): Promise<string> {
  const { program: p, said } = await program();
  try {
    await p.parseAsync(args, { from: 'user' });
  } catch (error) {
    assert.ok(error instanceof CommanderError, `${args.join(' ')}: ${String(error)}`);
    assert.equal(error.code, 'commander.invalidArgument', `${args.join(' ')}: ${error.message}`);
    return said.join('');
  }
  assert.fail(`${args.join(' ')} was accepted`);
}

void test('every value option of every command refuses an empty or blank value, naming it', async () => {
  const { program: all } = await program();
  let checked = 0;
  for (const path of leaves(all)) {
    let command = all;
    for (const name of path) command = command.commands.find((c) => c.name() === name)!;
    for (const option of command.options.filter((o) => o.required || o.optional)) {
      const flag = option.long ?? option.short!;
      for (const blank of ['', '  ']) {
        const said = await refusal([...path, flag, blank]);
        assert.match(said, new RegExp(`^dmconfirm: ${flag} is empty: give it a value`), `${path.join(' ')} ${flag}`);
      }
      checked += 1;
    }
  }
  assert.ok(checked > 100, `only ${checked} options seen`);
});

void test('the examples: trust add-key --identity "", --site=, a blank argument, an empty list item', async () => {
  assert.match(
    await refusal(['trust', 'add-key', 'trust.json', '--pub', 'a.pub', '--identity', '']),
    /--identity is empty/,
  );
  assert.match(await refusal(['publish', 'm.json', '--site=']), /--site is empty/);
  assert.match(await refusal(['cancel', ' ', '--agent', 'pi1']), /<request-id> is empty/);
  assert.match(await refusal(['request', '--agent', 'pi1', '--enable', 'container,']), /an item is empty/);
});
