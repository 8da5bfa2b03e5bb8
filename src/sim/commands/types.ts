import type { RouterBehaviour } from '../behaviour.js';
import type { DeviceModeEngine } from '../device-mode-engine.js';
import type { PoePorts } from '../poe.js';
import type { ModelProfile } from '../profiles.js';
import type { SimClock } from '../time.js';

export type Row = Record<string, string>;

/** What command handlers may see of the device and do to it (the simulated router implements it). */
export interface CommandDevice {
  readonly profile: ModelProfile;
  readonly routerosVersion: string;
  readonly serialNumber: string;
  readonly systemId: string;
  readonly uptimeMs: number;
  readonly clock: SimClock;
  readonly deviceMode: DeviceModeEngine;
  readonly behaviour: RouterBehaviour;
  readonly poe: PoePorts | undefined;
  /** As received over the API: one char per byte (see wire-text.ts). */
  identity: string;
  /** Storage for the simulated list menus (scheduler, container). */
  items(menu: string): Row[];
  settingsOf(menu: string): Row;
  /** Answers first, then reboots (soft: never confirms a pending change). */
  scheduleSoftReboot(): void;
  reboot(reason: 'soft'): void;
}

export interface CommandContext {
  readonly router: CommandDevice;
  readonly sessionId: number;
  readonly command: string;
  readonly attrs: Record<string, string>;
  /** `?` query words as sent (print only). */
  readonly queries: readonly string[];
  /** Aborted by `/cancel` or when the connection goes away. */
  readonly signal: AbortSignal;
  /** Sends a `!re` now, before the command ends (progress, monitor). */
  progress(row: Row): void;
}

/**
 * What a command answers: `rows` → `!re` each (or `!empty` on 7.18+ when none) then `!done`;
 * `ret` → `!done =ret=`; nothing → a bare `!done`.
 */
export interface CommandReply {
  rows?: Row[];
  ret?: string;
}

export type CommandHandler = (ctx: CommandContext) => CommandReply | void | Promise<CommandReply | void>;
export type CommandTable = Record<string, CommandHandler>;

/** `=numbers=` lists items by name or id, comma-separated. */
export function listNumbers(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
