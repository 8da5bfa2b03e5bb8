// Issue 12: the campaign target tree is RFC 9162's Merkle tree hash; checked against the
// Certificate Transparency reference vectors, then every proof of many tree shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TargetTree } from '../../src/trust/campaign/build.js';
import { inclusionProof, leafHash, nodeHash, treeRoot, verifyInclusion } from '../../src/trust/campaign/merkle.js';

const unhex = (h: string): Buffer => Buffer.from(h, 'hex');
const CT_DATA = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_LEAVES = CT_DATA.map(leafHash);

void test('tree heads match the Certificate Transparency reference for sizes 0..8', () => {
  for (let n = 0; n <= 8; n++) assert.equal(treeRoot(CT_LEAVES.slice(0, n)).toString('hex'), CT_ROOTS[n], `size ${n}`);
});

void test('inclusion proofs match the reference paths', () => {
  const vectors: Array<[number, number, string[]]> = [
    [
      0,
      8,
      [
        '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
      ],
    ],
    [
      5,
      8,
      [
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
        'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      ],
    ],
    [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  ];
  for (const [index, size, path] of vectors) {
    const leaves = CT_LEAVES.slice(0, size);
    assert.deepEqual(
      inclusionProof(leaves, index).map((p) => p.toString('hex')),
      path,
    );
    assert.ok(verifyInclusion(leaves[index]!, index, size, path.map(unhex), unhex(CT_ROOTS[size]!)));
  }
});

void test('every proof of every tree up to 40 leaves verifies, and only at its own index and size', () => {
  const all = Array.from({ length: 40 }, (_, i) => leafHash(Buffer.from(`target-${i}`)));
  for (let size = 1; size <= 40; size++) {
    const leaves = all.slice(0, size);
    const root = treeRoot(leaves);
    for (let i = 0; i < size; i++) {
      const proof = inclusionProof(leaves, i);
      assert.ok(verifyInclusion(leaves[i]!, i, size, proof, root), `leaf ${i} of ${size}`);
      if (size > 1)
        assert.ok(!verifyInclusion(leaves[i]!, (i + 1) % size, size, proof, root), `moved index ${i} of ${size}`);
      assert.ok(!verifyInclusion(leafHash(Buffer.from('intruder')), i, size, proof, root));
      if (proof.length > 0) {
        const bent = proof.map((p, k) => (k === 0 ? Buffer.from(p).fill(p[0]! ^ 1, 0, 1) : p));
        assert.ok(!verifyInclusion(leaves[i]!, i, size, bent, root));
        assert.ok(!verifyInclusion(leaves[i]!, i, size, proof.slice(1), root), 'a shortened proof');
        assert.ok(!verifyInclusion(leaves[i]!, i, size, [...proof, proof[0]!], root), 'a lengthened proof');
      }
    }
  }
});

void test('an interior node never passes for a leaf (domain separation)', () => {
  const leaves = CT_LEAVES.slice(0, 4);
  const root = treeRoot(leaves);
  const inner = nodeHash(leaves[0]!, leaves[1]!);
  // In a plain Merkle tree the pair (leaf0, leaf1) presented as one leaf would prove; here it does not.
  assert.ok(
    !verifyInclusion(leafHash(Buffer.concat([leaves[0]!, leaves[1]!])), 0, 2, [treeRoot(leaves.slice(2))], root),
  );
  assert.notDeepEqual(leafHash(Buffer.concat([leaves[0]!, leaves[1]!])), inner);
  // The signed tree size decides the level a proof starts at: a 2-leaf reading of a 4-leaf tree is refused by size.
  assert.ok(!verifyInclusion(inner, 0, 4, [treeRoot(leaves.slice(2))], root));
  assert.ok(!verifyInclusion(leaves[0]!, -1, 4, inclusionProof(leaves, 0), root));
  assert.ok(!verifyInclusion(leaves[0]!, 0, 4, [Buffer.alloc(31), ...inclusionProof(leaves, 0).slice(1)], root));
});

void test('the target tree gives the same proofs as the reference recursion, for every size up to 40', () => {
  const targets = Array.from({ length: 40 }, (_, i) => ({ agent: `a${i}`, router: { serial: `S${i}` } }));
  for (let size = 1; size <= 40; size++) {
    const tree = new TargetTree(targets.slice(0, size));
    for (let i = 0; i < size; i++)
      assert.deepEqual(
        tree.proof(i).path,
        inclusionProof(tree.leaves, i).map((p) => p.toString('base64url')),
      );
  }
});
