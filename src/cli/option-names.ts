import { DraftError } from '../trust/drafts.js';
import { CliError } from './cli-error.js';

/**
 * The option a user gave for each member of a drafted message: errors say `--not-after`,
 * never `window.notAfter`. The longest matching prefix wins (`router.serial` before `router`).
 */
const OPTION_OF: Record<string, string> = {
  agent: '--agent',
  router: '--router-serial/--router-system-id',
  'router.serial': '--router-serial',
  'router.systemId': '--router-system-id',
  requester: '--requester',
  window: '--not-before/--not-after',
  'window.notBefore': '--not-before',
  'window.notAfter': '--not-after',
  activationTimeoutSeconds: '--timeout',
  method: '--method',
  note: '--note',
  reason: '--reason',
  challenge: '--challenge',
  change: '--enable/--disable/--mode/--flagged-no',
  'change.mode': '--mode',
  'change.features': '--enable/--disable',
  'change.features.enable': '--enable',
  'change.features.disable': '--disable',
  'change.flagged': '--flagged-no',
  expect: '--expect',
  acceptPending: '--accept-pending',
};

/** The option (or options) behind a message member; undefined for one no option sets. */
export function optionOf(field: string): string | undefined {
  for (let path = field; path !== ''; path = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '') {
    const option = OPTION_OF[path];
    if (option) return option;
  }
  return undefined;
}

/** The one line for a draft error: the option and what is wrong with it (never the member's name). */
export function draftErrorLine(error: DraftError, option = optionOf(error.field)): string {
  return option ? `${option}: ${error.detail}` : error.detail;
}

/** Runs a builder for one option's value (`--accept-pending mode=rose`): its errors name that option. */
export function forOption<T>(option: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof DraftError) throw new CliError(draftErrorLine(error, option), 2);
    throw error;
  }
}
