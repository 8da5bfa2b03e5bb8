import type { RouterConfig } from '../config/router-schema.js';
import { judgePairing, type PairingStore } from '../pairing/paired-unit.js';
import type { RouterClient } from '../routeros/client.js';
import { StateWriteError } from '../store/state-error.js';
import type { RouterTrust } from '../trust/trust-gate.js';
import type { OperationServices } from './operation.js';
import type { AlarmInput } from './router-context.js';

/**
 * Which unit a router is: the one paired (or configured), checked whenever it comes back. A
 * unit that is not the paired one quarantines the router (orders refused, critical alarm);
 * the first unit seen is recorded as paired. The trust gate learns the unit only through
 * RouterTrust.bind, so messages naming it reach this router.
 */
export class RouterPairing {
  #quarantine: string | undefined;
  #version: string | undefined;

  constructor(
    private readonly config: RouterConfig,
    private readonly deps: {
      pairing: PairingStore;
      trust: Pick<RouterTrust, 'bound' | 'bind'>;
      services: Pick<OperationServices, 'audit' | 'health' | 'now'>;
      alarm: (alarm: AlarmInput) => Promise<void>;
    },
  ) {}

  /** Why orders are refused (not the paired unit), if they are. */
  get quarantine(): string | undefined {
    return this.#quarantine;
  }

  /** RouterOS version read at the last check: what it is known to do while a change is pending. */
  get version(): string | undefined {
    return this.#version;
  }

  /**
   * A router paired before is addressable at once, also while it does not answer (a hung
   * router after the Pi restarted can still be power-cycled); check() re-checks it.
   */
  adoptRecorded(): void {
    const paired = this.deps.pairing.get(this.config.name);
    if (paired && !this.deps.trust.bound) this.deps.trust.bind(paired);
  }

  async check(client: Pick<RouterClient, 'readIdentity'>): Promise<void> {
    const name = this.config.name;
    let seen;
    try {
      seen = await client.readIdentity({ timeoutMs: 5000 });
    } catch {
      return; // not reachable yet: checked again when it comes back
    }
    this.#version = seen.version;
    const verdict = judgePairing(seen, this.config.identity, this.deps.pairing.get(name), this.deps.services.now());
    if (!verdict.ok) {
      if (this.#quarantine !== verdict.detail) {
        this.#quarantine = verdict.detail;
        await this.deps.alarm({
          code: 'router-identity-changed',
          type: 'security',
          severity: 'critical',
          message: `${verdict.detail}; operations refused until re-paired`,
        });
      }
      return;
    }
    this.#quarantine = undefined;
    if (verdict.firstContact) {
      try {
        await this.deps.pairing.record(name, verdict.record);
        await this.deps.services.audit.append('paired', { router: name, ...verdict.record });
      } catch (error) {
        if (!(error instanceof StateWriteError)) throw error;
        // Unrecorded, the unit is not paired: orders stay refused; tried again when it is next seen.
        this.deps.services.health.report(error, { what: 'record the pairing', router: name });
        return;
      }
    }
    // Messages naming the paired unit now reach this router.
    this.deps.trust.bind(verdict.record);
  }
}
