/** Edit distance (insertions, deletions, substitutions, adjacent swaps): small for typos. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest allowed value, when it is close enough to be a typo (or a different case). */
export function closest(value: string, allowed: readonly string[]): string | undefined {
  const v = value.toLowerCase();
  let best: { word: string; d: number } | undefined;
  for (const word of allowed) {
    const d = distance(v, word.toLowerCase());
    if (!best || d < best.d) best = { word, d };
  }
  return best && best.d <= Math.max(1, Math.floor(best.word.length / 3)) ? best.word : undefined;
}

/** `"contianer" is not a feature; did you mean "container"?` (or the allowed values when nothing is close). */
export function notOneOf(value: string, what: string, allowed: readonly string[]): string {
  const guess = closest(value, allowed);
  return guess
    ? `"${value}" is not ${what}; did you mean "${guess}"?`
    : `"${value}" is not ${what}; one of: ${allowed.join(', ')}`;
}
