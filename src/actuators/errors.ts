/** Base of every actuator failure; `code` is stable for the agent and the MQTT error payload. */
export class ActuatorError extends Error {
  /**
   * Set by the pulse core on an engage step that failed before the driver wrote any command
   * to the device (it could not even open it): certainly nothing was switched. Unset means
   * unknown: the command may have reached the device before the failure.
   */
  nothingSent?: boolean;

  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ActuatorError';
  }
}

/** A second operation on an output that is still pulsing (or in its busy time). */
export class ActuatorBusyError extends ActuatorError {
  constructor(output: string) {
    super('busy', `${output} is busy with another operation`);
    this.name = 'ActuatorBusyError';
  }
}

/** A press longer than pressMaxMs: refused, never shortened silently. */
export class PressTooLongError extends ActuatorError {
  constructor(requestedMs: number, maxMs: number) {
    super('press-too-long', `press of ${requestedMs} ms exceeds the safe maximum of ${maxMs} ms`);
    this.name = 'PressTooLongError';
  }
}

/** The driver cannot do this action (a power relay cannot press, a button relay cannot cut power). */
export class UnsupportedActionError extends ActuatorError {
  constructor(kind: string, action: string) {
    super('unsupported', `${kind} actuator cannot ${action} (check its wiring/driver)`);
    this.name = 'UnsupportedActionError';
  }
}

/** The hardware is not reachable or not usable on this host; the message says why. */
export class ActuatorUnavailableError extends ActuatorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, options);
    this.name = 'ActuatorUnavailableError';
  }
}

/** A device did not answer as expected (timeout, error reply, lost prompt). */
export class ActuatorProtocolError extends ActuatorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('protocol', message, options);
    this.name = 'ActuatorProtocolError';
  }
}

/** Power could not be restored after a cut; the driver keeps retrying in the background. */
export class RestoreFailedError extends ActuatorError {
  constructor(output: string, options?: { cause?: unknown }) {
    super('restore-failed', `${output}: restoring the released/powered state FAILED; still retrying`, options);
    this.name = 'RestoreFailedError';
  }
}

export class ActuatorStoppedError extends ActuatorError {
  constructor(output: string) {
    super('stopped', `${output} is stopped`);
    this.name = 'ActuatorStoppedError';
  }
}

export class ActionAbortedError extends ActuatorError {
  constructor(output: string) {
    super('aborted', `${output}: action cancelled before it started`);
    this.name = 'ActionAbortedError';
  }
}
