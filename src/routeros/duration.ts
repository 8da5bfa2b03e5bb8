/**
 * RouterOS time values, in milliseconds everywhere: the one parser and formatter for the
 * client (uptimes in replies) and the simulator (timeouts and durations in commands).
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses `10s`, `5m`, `1h30m`, `1w2d3h4m5s`, `500ms`, `00:05:00`, `1d00:05:00`,
 * `00:00:10.5`, or a bare number of seconds. Returns milliseconds, undefined if malformed.
 */
export function parseRosDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const clock = /^(?:(\d+)d)?(\d{1,2}):(\d{2}):(\d{2})(\.\d+)?$/.exec(t);
  if (clock) {
    const [, d, h, m, s, frac] = clock;
    return (
      Number(d ?? 0) * UNIT_MS.d! +
      Number(h) * UNIT_MS.h! +
      Number(m) * UNIT_MS.m! +
      Number(s) * 1000 +
      (frac ? Math.round(Number(`0${frac}`) * 1000) : 0)
    );
  }
  if (!/^(\d+(ms|w|d|h|m|s))+$/.test(t)) return undefined;
  let total = 0;
  for (const part of t.matchAll(/(\d+)(ms|w|d|h|m|s)/g)) total += Number(part[1]) * UNIT_MS[part[2]!]!;
  return total;
}

/** Formats like RouterOS uptimes: `1w2d3h4m5s`, `0s` for zero; sub-second parts dropped. */
export function formatRosDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000));
  let out = '';
  for (const [unit, size] of [
    ['w', 604_800],
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) out += `${n}${unit}`;
  }
  return out || '0s';
}
