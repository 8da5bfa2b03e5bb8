/**
 * What a RouterOS version is known to do while a device-mode change is pending, from probe
 * reports of real routers (config/behaviours/*.json, written by `dmconfirm probe`; schema in
 * src/probe/report.ts). Only reports measured on a real router of that version count, and
 * only where they agree (knowledgeFor); the simulator's own defaults prove nothing. A
 * behaviour nobody observed is unknown, and the agent then copes with every value.
 */
import type { BehaviourName, RouterBehaviour } from '../sim/behaviour.js';
import { knowledgeFor, loadShippedReports, type ShippedReport } from '../probe/known-behaviours.js';

/** The reports the agent knows: given (tests, a site's own), else the shipped ones, read once. */
export class RouterBehaviours {
  #reports: readonly ShippedReport[] | undefined;

  constructor(reports?: readonly ShippedReport[]) {
    this.#reports = reports;
  }

  /** The observed value for this version, or undefined (unknown, unreadable reports, or reports that disagree). */
  known<K extends BehaviourName>(version: string | undefined, name: K): RouterBehaviour[K] | undefined {
    if (version === undefined) return undefined;
    const found = knowledgeFor(version, this.reports()).known.find((k) => k.name === name);
    return found?.value as RouterBehaviour[K] | undefined;
  }

  /** true: other API sessions stall while a change is pending; false: they keep answering; undefined: unknown. */
  stallsOthersWhilePending(version: string | undefined): boolean | undefined {
    return this.known(version, 'stallOthersWhilePending');
  }

  /** True only when reports show this version drops a pending update whose session was closed or cancelled. */
  cancelsAbandonedUpdate(version: string | undefined): boolean {
    return this.known(version, 'abandonedUpdate') === 'cancels';
  }

  private reports(): readonly ShippedReport[] {
    if (!this.#reports) {
      try {
        this.#reports = loadShippedReports();
      } catch {
        // Unreadable or broken reports prove nothing: every behaviour stays unknown.
        this.#reports = [];
      }
    }
    return this.#reports;
  }
}

/**
 * How long a stall must last before it counts as someone else's pending change. A pending
 * change stays until its activation timeout (10 s at the least, 5 min by default); a merely
 * slow router answers again long before that.
 */
export function stallConfirmMs(stallAfterMs: number): number {
  return Math.max(5000, 2 * stallAfterMs);
}
