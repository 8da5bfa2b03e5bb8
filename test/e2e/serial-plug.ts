/**
 * A simulated serial device (LCUS relay board, WTI or APC PDU) on a real socat pty pair,
 * wired to the simulated router: what the device switches physically reaches the router
 * (an outlet feeds its supply, a relay sits across its button). It can be unplugged (the
 * pty pair and the device-side process go away, the by-id path disappears) and plugged
 * back in at the same path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SimulatedRouter } from '../../src/sim/index.js';

const DEVICE = join(import.meta.dirname, '..', 'actuators', 'fixtures', 'serial-device-process.ts');

export interface DeviceEvent {
  outlet: string;
  on: boolean;
  at: number;
}

export interface SerialPlugOptions {
  dir: string;
  name: string;
  kind: 'lcus' | 'wti' | 'apc';
  /** The outlet (PDU) or relay channel (LCUS) wired to the router. */
  outlet: string;
  /** The router it reaches; looked up at each event (the site is built after the device). */
  router: () => SimulatedRouter | undefined;
  /** Options for the device simulation (login, refuseOn, ...). */
  deviceOptions?: object;
}

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export class SerialPlug {
  /** Every outlet/relay switch the device made, across plugs. */
  readonly events: DeviceEvent[] = [];
  #socat: ChildProcess | undefined;
  #device: ChildProcess | undefined;
  #plugged = false;

  constructor(readonly options: SerialPlugOptions) {}

  /** The path the driver opens (like /dev/serial/by-id/...). */
  get path(): string {
    return join(this.options.dir, `${this.options.name}-host`);
  }

  get plugged(): boolean {
    return this.#plugged;
  }

  /** Switches of the wired outlet/relay: `true` = energized (LCUS) or powered (PDU). */
  switches(): boolean[] {
    return this.events.filter((e) => e.outlet === this.options.outlet).map((e) => e.on);
  }

  /**
   * Plugged in: like udev, the by-id path appears only once the device is up and
   * listening, so nothing the agent writes on seeing it is lost.
   */
  async plug(): Promise<void> {
    const devicePath = join(this.options.dir, `${this.options.name}-dev`);
    const enumerating = `${this.path}.new`;
    const socat = spawn('socat', [`pty,raw,echo=0,link=${enumerating}`, `pty,raw,echo=0,link=${devicePath}`], {
      stdio: 'ignore',
    });
    this.#socat = socat;
    await until(() => existsSync(enumerating) && existsSync(devicePath), `${this.options.name} pty pair`);
    const device = spawn(
      process.execPath,
      ['--import', 'tsx', DEVICE, this.options.kind, devicePath, JSON.stringify(this.options.deviceOptions ?? {})],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    this.#device = device;
    let ready = false;
    createInterface({ input: device.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { event: string } & DeviceEvent;
      if (message.event === 'ready') ready = true;
      else if (message.event === 'outlet') this.#switched({ outlet: message.outlet, on: message.on, at: message.at });
    });
    await until(() => ready, `${this.options.name} device ready`);
    renameSync(enumerating, this.path);
    this.#plugged = true;
  }

  /**
   * Pulled out: the pty pair and the device side vanish at once, and udev removes the
   * by-id link (a SIGKILLed socat cannot remove its own links; a stale one could point at
   * a pty some other program gets next).
   */
  async unplug(): Promise<void> {
    if (!this.#plugged) return;
    this.#plugged = false;
    const socat = this.#socat;
    const device = this.#device;
    socat?.kill('SIGKILL');
    device?.kill('SIGKILL');
    const exited = (child: ChildProcess | undefined): Promise<unknown> =>
      child && child.exitCode === null && child.signalCode === null
        ? new Promise((resolve) => child.once('exit', resolve))
        : Promise.resolve();
    await Promise.all([exited(socat), exited(device)]);
    rmSync(this.path, { force: true });
    rmSync(`${this.path}.new`, { force: true });
    rmSync(join(this.options.dir, `${this.options.name}-dev`), { force: true });
    // A USB relay board is powered by its USB port: unplugged, its relays drop (released).
    // A PDU is mains powered: its outlets keep their state, only the serial link is gone.
    if (this.options.kind === 'lcus') this.#drive(false);
  }

  async stop(): Promise<void> {
    await this.unplug();
  }

  #switched(event: DeviceEvent): void {
    this.events.push(event);
    if (event.outlet === this.options.outlet) this.#drive(event.on);
  }

  /** What the wired contact does to the router. */
  #drive(on: boolean): void {
    const router = this.options.router();
    if (!router) return;
    if (this.options.kind === 'lcus') {
      // Normally-open contacts across the button: energized = button held down.
      if (on) router.pressButtonDown();
      else router.releaseButton();
    } else {
      router.setPower(on);
    }
  }
}
