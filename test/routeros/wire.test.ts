import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  SentenceDecoder,
  WireFormatError,
  decodeLength,
  encodeLength,
  encodeSentence,
  encodeWord,
  parseAttributes,
} from '../../src/routeros/wire.js';

// Each boundary: the last length of one prefix size and the first of the next.
const BOUNDARIES: Array<[number, string]> = [
  [0, '00'],
  [0x7f, '7f'],
  [0x80, '8080'],
  [0x3fff, 'bfff'],
  [0x4000, 'c04000'],
  [0x1fffff, 'dfffff'],
  [0x200000, 'e0200000'],
  [0xfffffff, 'efffffff'],
  [0x10000000, 'f010000000'],
  [0xffffffff, 'f0ffffffff'],
];

void test('length prefixes at every encoding boundary match the documented bytes and decode back', () => {
  for (const [n, hex] of BOUNDARIES) {
    const encoded = encodeLength(n);
    assert.equal(encoded.toString('hex'), hex, `length ${n}`);
    assert.deepEqual(decodeLength(encoded), { length: n, size: encoded.length });
    // One byte short is "need more", never a wrong answer.
    assert.equal(decodeLength(encoded.subarray(0, encoded.length - 1)), undefined);
  }
});

void test('real words at the boundaries that fit in memory survive the decoder', () => {
  for (const n of [0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000]) {
    const word = '=x=' + 'a'.repeat(n - 3);
    const bytes = encodeSentence(['!re', word]);
    const decoder = new SentenceDecoder();
    assert.deepEqual(decoder.push(bytes), [['!re', word]], `word length ${n}`);
    assert.equal(decoder.hasPartialSentence, false);
  }
});

void test('a multi-byte UTF-8 word is framed by its byte length', () => {
  const word = '=name=Zürich-ÄÖ';
  const encoded = encodeWord(word);
  assert.equal(encoded[0], Buffer.byteLength(word));
  assert.deepEqual(new SentenceDecoder().push(encodeSentence([word])), [[word]]);
});

void test('malformed length prefixes and oversized words are rejected, and stay rejected', () => {
  for (const bad of [0xf8, 0xf1, 0xff]) {
    const decoder = new SentenceDecoder();
    assert.throws(() => decoder.push(Buffer.from([bad, 0, 0, 0, 0])), WireFormatError);
    assert.throws(() => decoder.push(Buffer.from([0])), WireFormatError);
  }
  assert.throws(() => new SentenceDecoder(1000).push(encodeLength(1001)), WireFormatError);
  assert.throws(() => encodeLength(-1), WireFormatError);
  assert.throws(() => encodeLength(2 ** 32), WireFormatError);
});

void test('an empty sentence and consecutive sentences in one chunk', () => {
  const bytes = Buffer.concat([encodeSentence(['!done']), encodeSentence([]), encodeSentence(['!re', '=a=b'])]);
  assert.deepEqual(new SentenceDecoder().push(bytes), [['!done'], [], ['!re', '=a=b']]);
});

void test('parseAttributes keeps values containing "=" and ignores non-attribute words', () => {
  assert.deepEqual(parseAttributes(['!re', '=a=b=c', '=empty=', '.tag=5', '?x=1']), { a: 'b=c', empty: '' });
});

void test('property: any words, any chunking, same sentences out', () => {
  const word = fc.oneof(
    fc.string({ minLength: 1, maxLength: 20 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }),
    fc.nat({ max: 0x4100 }).map((n) => 'w'.repeat(n + 1)),
  );
  fc.assert(
    fc.property(
      fc.array(fc.array(word, { maxLength: 6 }), { minLength: 1, maxLength: 5 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      (sentences, cuts) => {
        const bytes = Buffer.concat(sentences.map((s) => encodeSentence(s)));
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const decoder = new SentenceDecoder();
        const out: string[][] = [];
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          out.push(...decoder.push(bytes.subarray(prev, p)));
          prev = p;
        }
        assert.deepEqual(out, sentences);
        assert.equal(decoder.hasPartialSentence, false);
      },
    ),
    { numRuns: 300 },
  );
});

void test('byte-by-byte delivery of a sentence with a 2-byte and a 3-byte prefix', () => {
  const words = ['/system/device-mode/print', 'x'.repeat(0x80), 'y'.repeat(0x4000)];
  const bytes = encodeSentence(words);
  const decoder = new SentenceDecoder();
  const out: string[][] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...decoder.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(out, [words]);
});
