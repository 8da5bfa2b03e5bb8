import type { MqttClient } from 'mqtt';
import type { z } from 'zod';
import type { tasmotaActuatorSchema } from '../config/actuator-schema.js';
import { connectDeviceBroker } from './device-broker.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from './errors.js';
import type { OutletState, SwitchedOutlet } from './outlet.js';

export type TasmotaConfig = z.infer<typeof tasmotaActuatorSchema>;
type Json = Record<string, unknown>;

/** Tasmota's PulseTime: 1..111 in 0.1 s, 112..64900 as seconds + 100. */
export function pulseTimeFor(ms: number): { value: number; ms: number } {
  if (ms <= 11_100) {
    const value = Math.max(1, Math.round(ms / 100));
    return { value, ms: value * 100 };
  }
  const seconds = Math.min(64_800, Math.round(ms / 1000));
  return { value: seconds + 100, ms: seconds * 1000 };
}

/**
 * A Tasmota relay over MQTT (`cmnd/<topic>/...`, answers on `stat/<topic>/RESULT`). Wired
 * as a smart plug (`outlet`: relay on = router powered), a cut is one `Backlog Power 0;
 * Delay; Power 1` that the device runs by itself. Wired `normally-closed` (relay on = router
 * off), a cut is `PulseTime` then `Power 1`: the device drops the relay after the pulse
 * time. Either way the device brings the power back, even if the agent is gone.
 */
export class TasmotaOutlet implements SwitchedOutlet {
  #client: MqttClient | undefined;
  #waiters = new Set<(message: Json) => boolean>();
  #queue: Promise<unknown> = Promise.resolve();
  #commands = 0;

  constructor(private readonly config: TasmotaConfig) {}

  get description(): string {
    return (
      `Tasmota ${this.config.topic} relay ${this.config.relay} ` +
      `(${this.config.wiring}) on ${this.config.broker.url}`
    );
  }

  commandsSent(): number {
    return this.#commands;
  }

  async read(): Promise<OutletState> {
    return this.#routerState(await this.#request(this.#power, ''));
  }

  async on(): Promise<void> {
    await this.#switchRelay(this.config.wiring === 'outlet');
  }

  async off(): Promise<void> {
    await this.#switchRelay(this.config.wiring !== 'outlet');
  }

  async cycle(offMs: number): Promise<number> {
    if (this.config.wiring === 'outlet') {
      const tenths = Math.min(3600, Math.max(2, Math.round(offMs / 100)));
      const relay = await this.#request('Backlog', `${this.#power} 0; Delay ${tenths}; ${this.#power} 1`);
      if (relay !== 'OFF')
        throw new ActuatorProtocolError(`${this.description}: relay reads ${relay} after the Backlog's Power 0`);
      return tenths * 100;
    }
    const pulse = pulseTimeFor(offMs);
    const key = `PulseTime${this.config.relay}`;
    const set = await this.#request(key, String(pulse.value), (m) => (m[key] as { Set?: unknown } | undefined)?.Set);
    if (set !== pulse.value)
      throw new ActuatorProtocolError(`${this.description}: ${key} reads ${String(set)} after setting ${pulse.value}`);
    const relay = await this.#request(this.#power, '1');
    if (relay !== 'ON') throw new ActuatorProtocolError(`${this.description}: relay reads ${relay} after Power 1`);
    return pulse.ms;
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.endAsync(true).catch(() => undefined);
  }

  get #power(): string {
    return `Power${this.config.relay}`;
  }

  #routerState(relay: string): OutletState {
    const on = relay === 'ON';
    return this.config.wiring === 'outlet' ? (on ? 'on' : 'off') : on ? 'off' : 'on';
  }

  async #switchRelay(energized: boolean): Promise<void> {
    const relay = await this.#request(this.#power, energized ? '1' : '0');
    if (relay !== (energized ? 'ON' : 'OFF'))
      throw new ActuatorProtocolError(
        `${this.description}: relay reads ${relay} after ${this.#power} ${energized ? 1 : 0}`,
      );
  }

  /** The relay's state from a RESULT: `POWER1`, or `POWER` on a single-relay device. */
  #powerOf = (message: Json): string | undefined => {
    const value = message[`POWER${this.config.relay}`] ?? (this.config.relay === 1 ? message.POWER : undefined);
    return typeof value === 'string' ? value : undefined;
  };

  /** Publishes one command and waits for the RESULT that answers it; one at a time. */
  #request(command: string, payload: string): Promise<string>;
  #request<T>(command: string, payload: string, pick: (message: Json) => T | undefined): Promise<T>;
  #request(command: string, payload: string, pick: (message: Json) => unknown = this.#powerOf): Promise<unknown> {
    const run = async (): Promise<unknown> => {
      const client = await this.#connect();
      let resolve!: (value: unknown) => void;
      const answered = new Promise<unknown>((r) => (resolve = r));
      const waiter = (message: Json): boolean => {
        const value = pick(message);
        if (value === undefined) return false;
        resolve(value);
        return true;
      };
      this.#waiters.add(waiter);
      const timeout = new Promise<never>((_, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new ActuatorUnavailableError(
                `${this.description}: no answer to ${command} within ${this.config.timeoutMs} ms`,
              ),
            ),
          this.config.timeoutMs,
        );
        void answered.finally(() => clearTimeout(timer));
      });
      try {
        if (payload !== '' && (command === this.#power || command === 'Backlog')) this.#commands++;
        await client.publishAsync(`${this.config.prefix.cmnd}/${this.config.topic}/${command}`, payload, { qos: 1 });
        return await Promise.race([answered, timeout]);
      } finally {
        this.#waiters.delete(waiter);
      }
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #connect(): Promise<MqttClient> {
    if (this.#client?.connected) return this.#client;
    await this.close();
    this.#client = await connectDeviceBroker(this.config.broker, {
      clientIdPrefix: 'dmconfirm-tasmota',
      timeoutMs: this.config.timeoutMs,
      description: this.description,
      subscribe: `${this.config.prefix.stat}/${this.config.topic}/RESULT`,
      onMessage: (payload) => this.#deliver(payload),
    });
    return this.#client;
  }

  #deliver(payload: Buffer): void {
    let message: unknown;
    try {
      message = JSON.parse(payload.toString());
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    for (const waiter of this.#waiters) if (waiter(message as Json)) return;
  }
}
