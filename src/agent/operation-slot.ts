import { StateWriteError } from '../store/state-error.js';
import type { Operation } from './operation.js';

/**
 * One operation at a time on a router: the flow running (or an order still being checked,
 * which holds the slot so nothing else starts meanwhile) and the operation it created.
 * A flow that throws a StateWriteError could not record a step before acting: its operation
 * is abandoned (failed, state-unwritable) and the agent keeps running. Anything else a flow
 * throws is a bug: `fail` (the supervisor emits fatal; systemd restarts into recovery).
 */
export class OperationSlot {
  #active: Promise<void> | undefined;
  #operation: Operation | undefined;

  constructor(
    private readonly hooks: {
      /** A state write failed before any operation existed to end. */
      unrecorded: (error: StateWriteError) => void;
      fail: (error: unknown) => void;
      /** The flow ended, however. */
      ended: () => void;
    },
  ) {}

  get busy(): boolean {
    return this.#active !== undefined;
  }

  /** The operation the running flow created or resumed, if any. */
  get operation(): Operation | undefined {
    return this.#operation;
  }

  /** Operation.begin / resume report here (OperationServices.track). */
  track(operation: Operation): void {
    this.#operation = operation;
  }

  /** Holds the slot while an order is checked; the returned function frees it (unless a flow took it). */
  hold(): () => void {
    let release: () => void = () => undefined;
    const checking = new Promise<void>((resolve) => (release = resolve));
    this.#active = checking;
    return () => {
      if (this.#active === checking) this.#active = undefined;
      release();
    };
  }

  run(flow: () => Promise<void>): void {
    this.#operation = undefined;
    this.#active = flow()
      .catch((error: unknown) => (error instanceof StateWriteError ? this.stateFailed(error) : this.hooks.fail(error)))
      .catch((error: unknown) => this.hooks.fail(error))
      .finally(() => {
        this.#active = undefined;
        this.#operation = undefined;
        this.hooks.ended();
      });
  }

  /** Resolves once the running flow (if any) ended; never rejects. */
  async settled(): Promise<void> {
    await this.#active?.catch(() => undefined);
  }

  private async stateFailed(error: StateWriteError): Promise<void> {
    const operation = this.#operation;
    if (operation) await operation.abandon(error);
    else this.hooks.unrecorded(error);
  }
}
