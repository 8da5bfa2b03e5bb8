/** What a command handler throws to answer `!trap` (then `!done`), like RouterOS does. */
export class RosTrap extends Error {
  override readonly name = 'RosTrap';
  constructor(
    message: string,
    readonly category?: number,
  ) {
    super(message);
  }
}

/** RouterOS trap categories used by the simulator (see the API documentation). */
export const TRAP_CATEGORY = {
  missingItem: 0,
  argumentValue: 1,
  interrupted: 2,
  scripting: 3,
  general: 4,
  apiInternal: 5,
  tty: 6,
  returnValue: 7,
} as const;

/** What a command handler throws to answer `!fatal` and close the connection. */
export class RosFatal extends Error {
  override readonly name = 'RosFatal';
}

/** The device answers no more: a reboot or power cut drops the connection mid-command. */
export class ConnectionDropped extends Error {
  override readonly name = 'ConnectionDropped';
}
