import type { Policy } from '../config/policy-schema.js';
import { describeSiteWindows, firstOpenAtOrAfter } from '../time/site-windows.js';
import type { Requirement } from './approvers.js';
import type { ClockReading } from './freshness.js';
import type { Window } from './messages.js';
import { refuse } from './refusal.js';

/** What the site-window rule reads of an order. */
export interface SiteWindowSubject {
  urgent?: true;
  window?: Window;
  challenge?: unknown;
}

/**
 * The site's own maintenance windows (local policy): outside them nothing acts, except an
 * order marked urgent that carries policy.siteWindows.urgentApprovals people (and its usual
 * threshold). An order that is urgent must always carry them, in a window or not, so "urgent"
 * never depends on what the clock says. A non-urgent order outside the windows is scheduled
 * for the next one when its own window reaches into it (schedulable), refused otherwise; with
 * an unsynchronized clock nobody can tell whether a window is open, so it is refused.
 * Returns when the order may start (undefined: now).
 */
export function checkSiteWindow(
  message: SiteWindowSubject,
  counted: { approverNames: readonly string[]; requirement: Requirement },
  policy: Policy,
  clock: ClockReading,
  opensAt: number | undefined,
  schedulable: boolean,
): number | undefined {
  const spec = policy.siteWindows;
  if (!spec) return opensAt;
  const people = counted.approverNames.length;
  if (message.urgent) {
    const need = Math.max(spec.urgentApprovals, counted.requirement.required);
    if (people < need)
      refuse(
        'urgent-too-few-approvers',
        `an urgent order needs ${need} approvers here (policy.siteWindows.urgentApprovals), it has ${people}`,
      );
    return opensAt;
  }
  const windows = describeSiteWindows(spec);
  const urgentHint = `or mark it urgent with ${spec.urgentApprovals} approvers`;
  if (!clock.synced) {
    refuse(
      'outside-site-window',
      `the site acts only in its maintenance windows (${windows}) and this clock ` +
        `is not synchronized, so it cannot tell whether one is open; ${urgentHint}`,
    );
  }
  const start = opensAt ?? clock.now;
  const next = firstOpenAtOrAfter(spec, start);
  if (next && next.start === start) return opensAt;
  const notAfter = message.window?.notAfter ? Date.parse(message.window.notAfter) : undefined;
  if (schedulable && next && notAfter !== undefined && next.start < notAfter && !message.challenge) return next.start;
  const when = next ? `the next opens ${new Date(next.start).toISOString()}` : 'none opens within a week';
  refuse(
    'outside-site-window',
    `outside the site's maintenance windows (${windows}): ${when}; send it ` +
      `with a window that reaches into one (it is then scheduled), ${urgentHint}`,
  );
}
