import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './fixtures/doc-blocks.js';
import { textProblems } from './fixtures/svg-boxes.js';

// The docs' pictures (the wiring, the state machine): every label stays inside its box, and
// captions and wire labels touch no box, measured with the metrics of the font sans-serif
// renders with on Debian.
const pictures = ['docs', 'docs/wiring'].flatMap((dir) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.svg'))
    .map((f) => `${dir}/${f}`),
);

void test('there are wiring pictures', () =>
  assert.ok(pictures.filter((p) => p.startsWith('docs/wiring/')).length >= 2));

for (const file of pictures) {
  void test(`${file}: no text leaves its box`, () => {
    assert.deepEqual(textProblems(readFileSync(join(ROOT, file), 'utf8')), []);
  });
}

void test('the checker sees text that crosses a box edge or runs into a box', () => {
  const svg = (body: string) =>
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 200" font-size="13">${body}</svg>`;
  const box = '<rect x="10" y="10" width="100" height="60"/>';
  assert.deepEqual(textProblems(svg(`${box}<text x="20" y="40">fits</text>`)), []);
  assert.match(textProblems(svg(`${box}<text x="60" y="40">NO (unused)</text>`))[0]!, /leaves its box/);
  assert.match(
    textProblems(svg(`${box}<text x="120" y="40" text-anchor="end">caption text</text>`))[0]!,
    /runs into the box/,
  );
  assert.match(textProblems(svg(`<text x="350" y="40">off the edge</text>`))[0]!, /leaves the picture/);
  assert.match(textProblems(svg(`<text x="150" y="40">one</text><text x="160" y="45">two</text>`))[0]!, /overlap/);
  assert.throws(() => textProblems(svg(`<text x="1" y="9" transform="rotate(9)">x</text>`)), /cannot measure/);
});
