import type { SimClock } from './time.js';

export const POE_OUT_VALUES = ['off', 'auto-on', 'forced-on'] as const;
export type PoeOut = (typeof POE_OUT_VALUES)[number];
export type PoeStatus = 'off' | 'powered-on' | 'waiting-for-load' | 'power-cycle';

/** The switch the ports belong to: its clock and its own power. */
export interface PoeHost {
  readonly clock: SimClock;
  readonly powered: boolean;
  on(event: 'power', listener: () => void): unknown;
}

/** A device a port can power (another simulated router). */
export interface PoweredDevice {
  readonly powered: boolean;
  setPower(on: boolean): void;
  /** For the summary: a readable name. */
  readonly displayName: string;
}

interface PortState {
  poeOut: PoeOut;
  cycleTimer: NodeJS.Timeout | undefined;
  load: PoweredDevice | undefined;
}

/**
 * PoE-out ports of a simulated switch. A port can power another SimulatedRouter in the same
 * process: turning the port off (or the switch losing power) really powers that router off.
 * Give both the same timeScale so durations mean the same thing on each side.
 */
export class PoePorts {
  private readonly ports = new Map<string, PortState>();

  constructor(
    private readonly owner: PoeHost,
    names: readonly string[],
  ) {
    for (const name of names) this.ports.set(name, { poeOut: 'auto-on', cycleTimer: undefined, load: undefined });
    owner.on('power', () => this.refreshAll());
  }

  get names(): string[] {
    return [...this.ports.keys()];
  }

  has(name: string): boolean {
    return this.ports.has(name);
  }

  /** Connects a powered device: from now on it has power exactly when this port delivers it. */
  attach(name: string, load: PoweredDevice): void {
    this.port(name).load = load;
    this.refresh(name);
  }

  set(name: string, poeOut: PoeOut): void {
    this.port(name).poeOut = poeOut;
    this.refresh(name);
  }

  /** Cuts power for `durationMs` (simulated), then restores it: a one-shot cold reboot. */
  powerCycle(name: string, durationMs: number): void {
    const port = this.port(name);
    this.owner.clock.clearTimeout(port.cycleTimer);
    port.cycleTimer = this.owner.clock.setTimeout(() => {
      port.cycleTimer = undefined;
      this.refresh(name);
    }, durationMs);
    this.refresh(name);
  }

  status(name: string): PoeStatus {
    const port = this.port(name);
    if (port.cycleTimer) return 'power-cycle';
    if (port.poeOut === 'off' || !this.owner.powered) return 'off';
    return port.load ? 'powered-on' : 'waiting-for-load';
  }

  poeOut(name: string): PoeOut {
    return this.port(name).poeOut;
  }

  load(name: string): PoweredDevice | undefined {
    return this.port(name).load;
  }

  summary(): Record<string, { poeOut: string; status: string; powering?: string }> {
    return Object.fromEntries(
      this.names.map((n) => {
        const load = this.port(n).load;
        return [n, { poeOut: this.poeOut(n), status: this.status(n), ...(load ? { powering: load.displayName } : {}) }];
      }),
    );
  }

  private delivering(name: string): boolean {
    const port = this.port(name);
    return this.owner.powered && port.poeOut !== 'off' && port.cycleTimer === undefined;
  }

  private refresh(name: string): void {
    const load = this.port(name).load;
    if (load && load.powered !== this.delivering(name)) load.setPower(this.delivering(name));
  }

  private refreshAll(): void {
    for (const name of this.ports.keys()) this.refresh(name);
  }

  private port(name: string): PortState {
    const port = this.ports.get(name);
    if (!port) throw new Error(`no PoE port ${name}`);
    return port;
  }
}
