import { createHash } from 'node:crypto';

/**
 * The Merkle tree hash of RFC 9162 (Certificate Transparency v2, section 2.1), SHA-256:
 * leaves hashed as H(0x00 || data), interior nodes as H(0x01 || left || right), so a leaf
 * can never pass for a node (the second-preimage attack on plain Merkle trees). An inclusion
 * proof verifies a leaf at one index of a tree of one size, so a proof binds the position
 * too (campaign waves are positions). Written here because the npm Merkle libraries we
 * looked at do not separate leaf and node hashing by default, pad or sort pairs instead of
 * the RFC's split, and verify proofs without the index and tree size; this is short enough
 * to audit against the RFC, and test/trust/campaign-merkle.test.ts checks it against the
 * Certificate Transparency test vectors.
 */
export const MAX_PROOF_LENGTH = 64;

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function leafHash(data: Uint8Array): Buffer {
  return sha256(Uint8Array.of(0), data);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(Uint8Array.of(1), left, right);
}

/** The largest power of two smaller than n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over leaf hashes; the empty tree is SHA-256 of nothing. */
export function treeRoot(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return sha256();
  // Bottom-up, level by level: the RFC's recursion gives the same tree (a lone right node is carried up).
  let level: Uint8Array[] = [...leaves];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? nodeHash(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
  }
  return Buffer.from(level[0]!);
}

/** PATH(m, D[n]): the inclusion proof of leaf m (0-based), nearest sibling first. */
export function inclusionProof(leaves: readonly Uint8Array[], index: number): Buffer[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length)
    throw new RangeError(`leaf ${index} is not in a tree of ${leaves.length}`);
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  if (index < k) return [...inclusionProof(leaves.slice(0, k), index), treeRoot(leaves.slice(k))];
  return [...inclusionProof(leaves.slice(k), index - k), treeRoot(leaves.slice(0, k))];
}

/** RFC 9162 section 2.1.3.2: whether `proof` shows `leaf` at `index` in the tree of `size` leaves with `root`. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (proof.length > MAX_PROOF_LENGTH || proof.some((p) => p.length !== 32)) return false;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}
