import mqtt, { type MqttClient } from 'mqtt';

/**
 * A Tasmota device on an MQTT broker, for tests, `actuator test` and the demo: it answers
 * `cmnd/<topic>/Power<n>`, `PulseTime<n>` and `Backlog` (with `Delay`) on
 * `stat/<topic>/RESULT` like the firmware, and runs pulse times and backlogs by itself.
 */
export interface TasmotaSimOptions {
  brokerUrl: string;
  topic: string;
  relays?: number;
  /** Every relay switch (a wired load follows it). */
  onSwitch?: (relay: number, on: boolean) => void;
  /** Fault: Power commands are acknowledged and ignored. */
  stuck?: boolean;
}

export class TasmotaSim {
  readonly relays: boolean[];
  readonly pulseTimes: number[];
  /** Every switch: relay, on, performance.now(), by a command or by the device's own timer. */
  readonly switches: Array<{ relay: number; on: boolean; at: number; by: 'command' | 'device' }> = [];
  /** Every command received (topic tail and payload). */
  readonly commands: Array<{ command: string; payload: string }> = [];
  #client: MqttClient | undefined;
  #timers = new Set<NodeJS.Timeout>();

  constructor(readonly options: TasmotaSimOptions) {
    this.relays = Array.from({ length: options.relays ?? 1 }, () => false);
    this.pulseTimes = this.relays.map(() => 0);
  }

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.options.brokerUrl, {
      clientId: `tasmota-sim-${this.options.topic}-${process.pid}`,
    });
    this.#client = client;
    client.on('message', (topic, payload) => {
      const command = topic.slice(`cmnd/${this.options.topic}/`.length);
      this.commands.push({ command, payload: payload.toString() });
      this.#execute(command, payload.toString().trim(), 'command');
    });
    await client.subscribeAsync(`cmnd/${this.options.topic}/+`, { qos: 1 });
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    await this.#client?.endAsync(true);
  }

  #later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  #execute(command: string, payload: string, by: 'command' | 'device'): void {
    const match = /^(power|pulsetime|backlog)(\d*)$/i.exec(command);
    const verb = match?.[1]?.toLowerCase();
    const index = Number(match?.[2] || 1) - 1;
    if (verb === 'backlog')
      return this.#backlog(
        payload
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
    if (!verb || index < 0 || index >= this.relays.length) return this.#publish({ Command: 'Unknown' });
    if (verb === 'pulsetime') {
      if (payload !== '') this.pulseTimes[index] = Number(payload);
      return this.#publish({ [`PulseTime${index + 1}`]: { Set: this.pulseTimes[index], Remaining: 0 } });
    }
    if (payload !== '' && !this.options.stuck) {
      const on = /^(1|on)$/i.test(payload)
        ? true
        : /^(0|off)$/i.test(payload)
          ? false
          : /^(2|toggle)$/i.test(payload)
            ? !this.relays[index]
            : undefined;
      if (on !== undefined) this.#set(index, on, by);
    }
    const key = this.relays.length === 1 ? 'POWER' : `POWER${index + 1}`;
    this.#publish({ [key]: this.relays[index] ? 'ON' : 'OFF' });
  }

  #set(index: number, on: boolean, by: 'command' | 'device'): void {
    if (this.relays[index] === on) return;
    this.relays[index] = on;
    this.switches.push({ relay: index + 1, on, at: performance.now(), by });
    this.options.onSwitch?.(index + 1, on);
    const pulse = this.pulseTimes[index] ?? 0;
    if (on && pulse > 0) {
      const ms = pulse <= 111 ? pulse * 100 : (pulse - 100) * 1000;
      this.#later(ms, () => {
        this.#set(index, false, 'device');
        this.#publish({ [this.relays.length === 1 ? 'POWER' : `POWER${index + 1}`]: 'OFF' });
      });
    }
  }

  /** Runs the commands in order on the device; `Delay n` waits n × 0.1 s (what follows is the device's timing). */
  #backlog(commands: string[], afterDelay = false): void {
    const [first, ...rest] = commands;
    if (first === undefined) return;
    const [command = '', payload = ''] = first.split(/\s+/, 2);
    if (/^delay$/i.test(command)) return this.#later(Number(payload) * 100, () => this.#backlog(rest, true));
    this.#execute(command, payload, afterDelay ? 'device' : 'command');
    this.#backlog(rest, afterDelay);
  }

  #publish(message: object): void {
    void this.#client
      ?.publishAsync(`stat/${this.options.topic}/RESULT`, JSON.stringify(message), { qos: 1 })
      .catch(() => undefined);
  }
}
