/**
 * What a RouterOS version is known to do while a device-mode change is pending, from probe
 * reports of real routers (the simulator helper's version behaviour reports, planned under
 * config/behaviours/). None have landed yet, so every version is "unknown" and a stall needs
 * its second signal; once reports exist, read them here and nowhere else.
 */

/** true: other API sessions stall while a change is pending; false: they keep answering; undefined: unknown. */
export function stallsOthersWhilePending(_version: string | undefined): boolean | undefined {
  return undefined;
}

/**
 * How long a stall must last before it counts as someone else's pending change. A pending
 * change stays until its activation timeout (10 s at the least, 5 min by default); a merely
 * slow router answers again long before that.
 */
export function stallConfirmMs(stallAfterMs: number): number {
  return Math.max(5000, 2 * stallAfterMs);
}
