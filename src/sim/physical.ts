/** The reset button's boot-time actions (reference: ~3 s backup loader, ~5 s reset, +5 s CAPs, +5 s Netinstall). */
export type BootAction = 'none' | 'backup-bootloader' | 'reset-configuration' | 'caps-mode' | 'netinstall';

export function bootActionFor(heldMs: number): BootAction {
  if (heldMs < 2000) return 'none';
  if (heldMs < 5000) return 'backup-bootloader';
  if (heldMs < 10_000) return 'reset-configuration';
  if (heldMs < 15_000) return 'caps-mode';
  return 'netinstall';
}

/** Something dmconfirm must never cause; tests assert `faults` stays empty. */
export interface Fault {
  kind: 'button-held-at-boot';
  /** Simulated ms the button was held after boot began; undefined while still held. */
  heldMs?: number;
  action?: BootAction;
  at: string;
}

export type Phase =
  | 'off'
  | 'booting'
  | 'running'
  | 'shutting-down' // reboot in progress: API already gone, boot follows
  | 'bootloader'; // stuck in a boot-time action (CAPs, Netinstall) until the next power cycle

export interface PhysicalTiming {
  /** Power-on (or reboot) until the API answers. */
  bootMs: number;
  /** Reboot request (soft reboot, confirming button press) until boot begins. */
  shutdownMs: number;
  /**
   * Minimum time the supply must be off for a cold boot. A shorter blip reboots the router
   * (brown-out) but confirms nothing: a pending change is discarded, attempt-count kept.
   */
  minOffMs: number;
  /**
   * After a confirming button press the router may keep answering for a moment before it
   * goes down (unconfirmed on real hardware; the agent must not take such an answer for
   * "back"). Default 0: down at once.
   */
  answersAfterPressMs?: number;
}

export const DEFAULT_TIMING: PhysicalTiming = { bootMs: 3000, shutdownMs: 1000, minOffMs: 3000 };
