// Fuzzing the serial drivers: SerialPortMock ports whose simulated device's answers are
// replaced, corrupted, cut, delayed into two chunks or lost, and prompt sessions fed
// random bytes and mutated prompts. Every operation ends with a result or a typed
// ActuatorError within its timeouts, and the relay or outlet ends released.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SerialPortMock } from 'serialport';
import { createActuator } from '../../src/actuators/index.js';
import { ActuatorError } from '../../src/actuators/errors.js';
import { NUMATO_DIALECT } from '../../src/actuators/numato.js';
import { apcDialect } from '../../src/actuators/apc.js';
import { wtiDialect } from '../../src/actuators/wti.js';
import { PromptSession } from '../../src/actuators/prompt-session.js';
import { SerialLine, type PortFactory } from '../../src/actuators/serial-line.js';
import type { Clock } from '../../src/time/clock.js';
import {
  apcActuatorSchema,
  lcusActuatorSchema,
  numatoActuatorSchema,
  wtiActuatorSchema,
} from '../../src/config/actuator-schema.js';
import { Secret } from '../../src/config/secret.js';
import { silentLogger } from '../../src/log/logger.js';
import { ApcDevice, LcusDevice, NumatoDevice, SerialDevice, WtiDevice } from '../actuators/fixtures/serial-devices.js';
import { guardProcess, params, slowRuns, within } from './support.js';

guardProcess();
const MockBinding = SerialPortMock.binding;
afterEach(() => MockBinding.reset());
const logger = silentLogger();
const timing = { pressMs: 100, pressMinMs: 50, pressMaxMs: 1000, offMs: 1000, offMinMs: 1000, offMaxMs: 5000 };
/** Pulses, busy times and release retries shortened: the fuzz is about replies, not waiting. */
const fastClock: Clock = {
  wall: () => new Date(),
  mono: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))),
};

interface MockPortBinding {
  emitData(data: Buffer | string): void;
  write(buffer: Buffer): Promise<void>;
}

/** What happens to the device's answer to one write. */
type Fault =
  | { kind: 'pass' | 'silent' | 'close' }
  | { kind: 'noise' | 'append' | 'prepend'; bytes: Uint8Array }
  | { kind: 'replace'; text: string }
  | { kind: 'truncate' | 'split'; at: number };

const fragment = fc.constantFrom(
  '>',
  ' >',
  'apc>',
  '\r\nNPS> ',
  'NPS>',
  'Login: ',
  'login:',
  'User Name : ',
  'Password  : ',
  'password:',
  'Sure? (Y/N): ',
  'E000: Success',
  'E102: Parameter Error',
  'E101: Command Not Found',
  'on',
  'off',
  '\n\ron\n\r>',
  'Invalid Plug',
  'Error',
  '\r\n',
  '\r',
  '\n',
  '\u0000',
  '\u00ff',
);
const text = fc.array(fc.oneof(fragment, fc.string({ maxLength: 6 })), { maxLength: 6 }).map((parts) => parts.join(''));
const fault: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Fault>({ kind: 'pass' }) },
  { weight: 1, arbitrary: fc.constantFrom<Fault>({ kind: 'silent' }, { kind: 'close' }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom('noise' as const, 'append' as const, 'prepend' as const),
      bytes: fc.uint8Array({ maxLength: 24 }),
    }),
  },
  { weight: 2, arbitrary: text.map((t): Fault => ({ kind: 'replace', text: t })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('truncate' as const, 'split' as const), at: fc.nat() }) },
);
/** Faults for the first writes; later writes pass, so a retried release gets through in the end. */
const faults = fc.array(fault, { maxLength: 6 });

/** A simulated device whose answers go through the faults before they reach the port. */
class FaultyDevice extends SerialDevice {
  #collected: Buffer[] = [];
  port: SerialPortMock | undefined;

  constructor(
    readonly inner: SerialDevice,
    private readonly faults: Fault[],
  ) {
    super();
    inner.output = (data) => this.#collected.push(Buffer.from(data));
  }

  receive(data: Buffer): void {
    this.#collected = [];
    this.inner.receive(data);
    const answer = Buffer.concat(this.#collected);
    const f = this.faults.shift() ?? { kind: 'pass' };
    const send = (d: Buffer | string) => d.length > 0 && this.output(d);
    switch (f.kind) {
      case 'pass':
        return void send(answer);
      case 'silent':
        return;
      case 'close':
        return void this.port?.close(() => undefined);
      case 'noise':
        return void send(Buffer.from(f.bytes));
      case 'append':
        return void send(Buffer.concat([answer, f.bytes]));
      case 'prepend':
        return void send(Buffer.concat([f.bytes, answer]));
      case 'replace':
        return void send(f.text);
      case 'truncate':
        return void send(answer.subarray(0, f.at % (answer.length + 1)));
      case 'split': {
        const at = f.at % (answer.length + 1);
        send(answer.subarray(0, at));
        setTimeout(() => send(answer.subarray(at)), 20);
      }
    }
  }
}

function faultyPorts(device: FaultyDevice): PortFactory {
  return ({ path, baudRate }) => {
    const port = new SerialPortMock({ path, baudRate, autoOpen: false });
    device.port = port;
    port.on('open', () => {
      const binding = port.port as unknown as MockPortBinding;
      // A late (split) answer to a port closed meanwhile is lost, as on the wire.
      device.output = (data) => port.isOpen && binding.emitData(data);
      const write = binding.write.bind(binding);
      binding.write = async (buffer: Buffer) => {
        await write(buffer);
        device.receive(Buffer.from(buffer));
      };
    });
    return port;
  };
}

/** Runs an actuator operation: a report or an ActuatorError, never a hang or another error. */
async function typedOrValue(what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await within(10_000, what, run());
  } catch (error) {
    assert.ok(error instanceof ActuatorError, `${what}: untyped failure ${String((error as Error)?.stack ?? error)}`);
  }
}

void test('fuzz Numato: faulty answers fail typed, and the relay ends released', async () => {
  await fc.assert(
    fc.asyncProperty(faults, async (script) => {
      MockBinding.createPort('/dev/ttyACM-fuzz', { record: false });
      const board = new NumatoDevice();
      const device = new FaultyDevice(board, [...script]);
      const config = numatoActuatorSchema.parse({
        driver: 'numato',
        path: '/dev/ttyACM-fuzz',
        relay: 11,
        wiring: 'normally-open',
        timing,
        timeoutMs: 100,
      });
      const relay = createActuator(config, { logger, clock: fastClock, portFactory: faultyPorts(device) });
      await typedOrValue('start', () => relay.start());
      await typedOrValue('press', () => relay.press(60));
      await within(10_000, 'stop', relay.stop());
      assert.notEqual(board.relays.get('B'), true, 'relay left energized');
      MockBinding.reset();
    }),
    params(slowRuns(15, 100)),
  );
});

for (const kind of ['wti', 'apc'] as const) {
  void test(`fuzz ${kind.toUpperCase()}: faulty answers fail typed, and the outlet ends powered`, async () => {
    await fc.assert(
      fc.asyncProperty(faults, async (script) => {
        MockBinding.createPort('/dev/ttyS-fuzz', { record: false });
        const pdu =
          kind === 'wti'
            ? new WtiDevice({ login: { user: 'super', password: 'pw' } })
            : new ApcDevice({ login: { user: 'apc', password: 'pw' }, bootDelayMs: 10 });
        const device = new FaultyDevice(pdu, [...script]);
        const base = { path: '/dev/ttyS-fuzz', username: kind === 'wti' ? 'super' : 'apc', timing, timeoutMs: 100 };
        const config =
          kind === 'wti'
            ? wtiActuatorSchema.parse({ ...base, driver: 'wti', plug: 2 })
            : apcActuatorSchema.parse({ ...base, driver: 'apc', outlet: 3 });
        const actuator = createActuator(
          { ...config, password: new Secret('pw', 'test') },
          { logger, clock: fastClock, portFactory: faultyPorts(device) },
        );
        await typedOrValue('start', () => actuator.start());
        await typedOrValue('powerCycle', () => actuator.powerCycle(1000));
        await within(10_000, 'stop', actuator.stop());
        assert.notEqual(pdu.events.at(-1)?.on, false, `outlet left off: ${JSON.stringify(pdu.events)}`);
        MockBinding.reset();
      }),
      params(slowRuns(10, 100)),
    );
  });
}

void test('fuzz LCUS: bytes the board should never send are ignored; every press ends released', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 4 }), async (chunks) => {
      MockBinding.createPort('/dev/ttyUSB-fuzz', { record: false });
      const board = new LcusDevice();
      const device = new FaultyDevice(
        board,
        chunks.map((bytes) => ({ kind: 'noise', bytes })),
      );
      const config = lcusActuatorSchema.parse({
        driver: 'lcus',
        path: '/dev/ttyUSB-fuzz',
        wiring: 'normally-open',
        timing,
      });
      const relay = createActuator(config, { logger, clock: fastClock, portFactory: faultyPorts(device) });
      await relay.start();
      await relay.press(60);
      await relay.stop();
      assert.equal(board.relays.get(1), false);
      MockBinding.reset();
    }),
    params(slowRuns(10, 100)),
  );
});

void test('fuzz PromptSession: random bytes and mutated prompts give output or a typed error in time', async () => {
  const dialects = { numato: NUMATO_DIALECT, wti: wtiDialect('[A-Za-z]{2,8}>\\s*$'), apc: apcDialect('apc>\\s*$') };
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...(Object.keys(dialects) as Array<keyof typeof dialects>)),
      fc.array(
        fc.oneof(
          text,
          fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b).toString('latin1')),
        ),
        { maxLength: 8 },
      ),
      fc.boolean(),
      async (dialect, replies, credentials) => {
        MockBinding.createPort('/dev/ttyS-prompt', { record: false });
        const device = new FaultyDevice(
          new LcusDevice(),
          replies.map((t) => ({ kind: 'replace', text: t })),
        );
        const line = new SerialLine({
          path: '/dev/ttyS-prompt',
          baudRate: 9600,
          logger,
          portFactory: faultyPorts(device),
        });
        const session = new PromptSession(line, dialects[dialect], {
          timeoutMs: 40,
          logger,
          ...(credentials ? { username: 'u', password: new Secret('p', 'test') } : {}),
        });
        await typedOrValue('command', () => session.command('relay read 1'));
        await within(2000, 'close', line.close());
        MockBinding.reset();
      },
    ),
    params(slowRuns(40, 20)),
  );
});
