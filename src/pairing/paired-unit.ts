import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../store/atomic-file.js';

/** What identifies a router unit: its routerboard serial, or a CHR's license system-id. */
export interface UnitIdentity {
  serial?: string | undefined;
  systemId?: string | undefined;
  model?: string | undefined;
}

export interface PairingRecord extends UnitIdentity {
  pairedAt: string;
  /** RouterOS version seen at the last `dmconfirm pair` (doctor: which behaviours are known for it). */
  routerosVersion?: string | undefined;
}

export type PairingVerdict =
  | { ok: true; firstContact: boolean; record: PairingRecord }
  | { ok: false; reason: 'identity-changed' | 'identity-unknown'; detail: string };

function unitKey(identity: UnitIdentity): string | undefined {
  if (identity.serial) return `serial ${identity.serial}`;
  if (identity.systemId) return `system-id ${identity.systemId}`;
  return undefined;
}

/**
 * Decides whether the unit answering at a router's address is the one we paired with (or
 * the one the configuration names). A swapped unit, a wrong address or a man in the middle
 * shows a different serial: refused, never silently re-paired.
 */
export function judgePairing(
  seen: UnitIdentity,
  configured: UnitIdentity,
  recorded: PairingRecord | undefined,
  now: Date,
): PairingVerdict {
  const seenKey = unitKey(seen);
  if (!seenKey)
    return { ok: false, reason: 'identity-unknown', detail: 'router reported neither serial-number nor system-id' };
  const expectedKey = unitKey(configured) ?? (recorded ? unitKey(recorded) : undefined);
  if (expectedKey && expectedKey !== seenKey) {
    const source = unitKey(configured) ? 'configured' : 'paired';
    return {
      ok: false,
      reason: 'identity-changed',
      detail: `router reports ${seenKey}, but the ${source} unit is ${expectedKey}`,
    };
  }
  if (recorded && unitKey(recorded) === seenKey) return { ok: true, firstContact: false, record: recorded };
  return {
    ok: true,
    firstContact: true,
    record: { serial: seen.serial, systemId: seen.systemId, model: seen.model, pairedAt: now.toISOString() },
  };
}

/** Paired identities per router name, in the state directory. */
export class PairingStore {
  readonly #path: string;
  #records: Record<string, PairingRecord> = {};

  constructor(stateDir: string) {
    this.#path = join(stateDir, 'pairing.json');
  }

  async load(): Promise<void> {
    this.#records = (await readJsonFile<Record<string, PairingRecord>>(this.#path)) ?? {};
  }

  get(router: string): PairingRecord | undefined {
    return this.#records[router];
  }

  async record(router: string, record: PairingRecord): Promise<void> {
    this.#records = { ...this.#records, [router]: record };
    await writeJsonAtomic(this.#path, this.#records);
  }
}
