import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { SerialPortMock } from 'serialport';
import { silentLogger } from '../../src/log/logger.js';
import { createActuator } from '../../src/actuators/index.js';
import {
  apcActuatorSchema,
  lcusActuatorSchema,
  numatoActuatorSchema,
  wtiActuatorSchema,
} from '../../src/config/actuator-schema.js';
import { Secret } from '../../src/config/secret.js';
import { lcusFrame } from '../../src/actuators/lcus.js';
import type { PortFactory } from '../../src/actuators/serial-line.js';
import { ActuatorProtocolError, ActuatorUnavailableError, RestoreFailedError } from '../../src/actuators/errors.js';
import { ApcDevice, LcusDevice, NumatoDevice, WtiDevice, type SerialDevice } from './fixtures/serial-devices.js';

// The binding instance serialport itself uses (a second copy of the package may exist).
const MockBinding = SerialPortMock.binding;
const logger = silentLogger();
const timing = { pressMs: 100, pressMinMs: 50, pressMaxMs: 1000, offMs: 1000, offMinMs: 1000, offMaxMs: 5000 };

afterEach(() => MockBinding.reset());

/** The parts of @serialport/binding-mock's port binding used here (its typings do not resolve under NodeNext). */
interface MockPortBinding {
  recording: Buffer;
  emitData(data: Buffer | string): void;
  write(buffer: Buffer): Promise<void>;
}

/** SerialPortMock ports whose written bytes go to a simulated device, which answers. */
function mockPorts(device: SerialDevice | undefined): { factory: PortFactory; bindings: MockPortBinding[] } {
  const bindings: MockPortBinding[] = [];
  const factory: PortFactory = ({ path, baudRate }) => {
    const port = new SerialPortMock({ path, baudRate, autoOpen: false });
    port.on('open', () => {
      const binding = port.port as unknown as MockPortBinding;
      bindings.push(binding);
      if (!device) return;
      device.output = (data) => binding.emitData(data);
      const write = binding.write.bind(binding);
      binding.write = async (buffer: Buffer) => {
        await write(buffer);
        device.receive(Buffer.from(buffer));
      };
    });
    return port;
  };
  return { factory, bindings };
}

void test('LCUS frames: checksum, channel, on/off, inverted clones', () => {
  assert.equal(lcusFrame(1, true).toString('hex'), 'a00101a2');
  assert.equal(lcusFrame(1, false).toString('hex'), 'a00100a1');
  assert.equal(lcusFrame(8, true).toString('hex'), 'a00801a9');
});

void test('LCUS over SerialPortMock: released at start, exact bytes of a press, inverted channel 2', async () => {
  MockBinding.createPort('/dev/ttyUSB-lcus', { record: true });
  const { factory, bindings } = mockPorts(undefined);
  const config = lcusActuatorSchema.parse({
    driver: 'lcus',
    path: '/dev/ttyUSB-lcus',
    channel: 2,
    inverted: true,
    wiring: 'normally-open',
    timing,
  });
  const relay = createActuator(config, { logger, portFactory: factory });
  await relay.start();
  await relay.press(60);
  await relay.stop();
  const binding = bindings[0];
  assert.ok(binding);
  // inverted: 01 releases, 00 energizes. start, press (on, off), stop.
  assert.equal(binding.recording.toString('hex'), ['a00201a3', 'a00200a2', 'a00201a3', 'a00201a3'].join(''));
});

void test('LCUS against the simulated board: the relay is on only during the power cut', async () => {
  MockBinding.createPort('/dev/ttyUSB-lcus', { record: true });
  const board = new LcusDevice();
  const { factory } = mockPorts(board);
  const config = lcusActuatorSchema.parse({
    driver: 'lcus',
    path: '/dev/ttyUSB-lcus',
    wiring: 'normally-closed',
    timing,
  });
  const relay = createActuator(config, { logger, portFactory: factory });
  await relay.start();
  await relay.powerCycle(1000);
  assert.deepEqual(
    board.events.map((e) => e.on),
    [false, true, false],
  );
  const off = (board.events[2]?.at ?? 0) - (board.events[1]?.at ?? 0);
  assert.ok(off >= 990 && off < 4000, `relay energized ${off} ms`);
  assert.deepEqual(board.badFrames, []);
  await relay.stop();
});

void test('a port that does not exist fails fast with a clear error', async () => {
  const { factory } = mockPorts(undefined);
  const config = lcusActuatorSchema.parse({
    driver: 'lcus',
    path: '/dev/ttyUSB-missing',
    wiring: 'normally-open',
    timing,
  });
  await assert.rejects(createActuator(config, { logger, portFactory: factory }).start(), (error: Error) => {
    return error instanceof ActuatorUnavailableError && /ttyUSB-missing.*unplugged/.test(error.message);
  });
});

void test('WTI: login, /OFF then /ON by plug name, "Sure?" answered when asked anyway', async () => {
  MockBinding.createPort('/dev/ttyS-wti', { record: true });
  const pdu = new WtiDevice({ login: { user: 'super', password: 'pw' }, alwaysAsk: true });
  const { factory, bindings } = mockPorts(pdu);
  const config = wtiActuatorSchema.parse({
    driver: 'wti',
    path: '/dev/ttyS-wti',
    plug: 'router',
    username: 'super',
    timing,
    timeoutMs: 1000,
  });
  const actuator = createActuator({ ...config, password: new Secret('pw', 'test') }, { logger, portFactory: factory });
  await actuator.start();
  const report = await actuator.powerCycle(1000);
  assert.deepEqual(
    report.edges.map((e) => e.edge),
    ['power-off', 'power-on'],
  );
  assert.deepEqual(
    pdu.events.map((e) => `${e.outlet}:${e.on}`),
    ['2:true', '2:false', '2:true'],
  );
  const sent = bindings[0]?.recording.toString('latin1') ?? '';
  assert.match(sent, /super\rpw\r/);
  assert.match(sent, /\/OFF router,y\ry\r/, 'answered the Sure? question');
  await actuator.stop();
});

void test('WTI: wrong password and an unknown plug are clear errors', async () => {
  MockBinding.createPort('/dev/ttyS-wti', { record: true });
  const pdu = new WtiDevice({ login: { user: 'super', password: 'pw' } });
  const { factory } = mockPorts(pdu);
  const config = wtiActuatorSchema.parse({
    driver: 'wti',
    path: '/dev/ttyS-wti',
    plug: 'router',
    username: 'super',
    timing,
    timeoutMs: 1000,
  });
  const wrong = createActuator({ ...config, password: new Secret('nope', 'test') }, { logger, portFactory: factory });
  await assert.rejects(wrong.start(), /login as "super" was refused/);
  await wrong.stop();
  const noLogin = createActuator({ ...config, username: undefined }, { logger, portFactory: factory });
  await assert.rejects(noLogin.start(), /asks for a login/);
  await noLogin.stop();
  const unknown = createActuator(
    { ...config, plug: 9, password: new Secret('pw', 'test') },
    { logger, portFactory: factory },
  );
  await assert.rejects(
    unknown.start(),
    (e: Error) => e instanceof ActuatorProtocolError && /Invalid Plug/.test(e.message),
  );
  await unknown.stop();
});

void test('APC: olOff/olOn checked for E000, a refused olOn is retried until power is back', async () => {
  MockBinding.createPort('/dev/ttyS-apc', { record: true });
  const pdu = new ApcDevice({ login: { user: 'apc', password: 'apc' } });
  const { factory } = mockPorts(pdu);
  const config = apcActuatorSchema.parse({
    driver: 'apc',
    path: '/dev/ttyS-apc',
    outlet: 3,
    username: 'apc',
    timing,
    timeoutMs: 1000,
  });
  const actuator = createActuator({ ...config, password: new Secret('apc', 'test') }, { logger, portFactory: factory });
  await actuator.start();
  pdu.options.refuseOn = 2; // the release step fails twice, then succeeds within the pulse
  const report = await actuator.powerCycle(1000);
  assert.deepEqual(
    pdu.events.map((e) => `${e.outlet}:${e.on}`),
    ['3:true', '3:false', '3:true'],
  );
  assert.equal(report.edges.at(-1)?.edge, 'power-on');
  await actuator.stop();
});

void test('APC: an olOn refused for good reports RestoreFailedError, an unknown outlet E102', async () => {
  MockBinding.createPort('/dev/ttyS-apc', { record: true });
  const pdu = new ApcDevice();
  const { factory } = mockPorts(pdu);
  const config = apcActuatorSchema.parse({ driver: 'apc', path: '/dev/ttyS-apc', outlet: 3, timing, timeoutMs: 1000 });
  const bad = createActuator({ ...config, outlet: 12 }, { logger, portFactory: factory });
  await assert.rejects(bad.start(), /E102: Parameter Error/);
  await bad.stop();
  const actuator = createActuator(config, { logger, portFactory: factory });
  await actuator.start();
  pdu.options.refuseOn = 1000;
  await assert.rejects(actuator.powerCycle(1000), RestoreFailedError);
  pdu.options.refuseOn = 0; // the background restore gets through now
  for (let i = 0; i < 100 && pdu.events.at(-1)?.on !== true; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(pdu.events.at(-1)?.on, true, 'power restored by the background retry');
  await actuator.stop();
});

void test('a silent device times out instead of hanging', async () => {
  MockBinding.createPort('/dev/ttyS-dead', { record: true });
  const { factory } = mockPorts(undefined);
  const config = apcActuatorSchema.parse({ driver: 'apc', path: '/dev/ttyS-dead', outlet: 1, timing, timeoutMs: 300 });
  const actuator = createActuator(config, { logger, portFactory: factory });
  await assert.rejects(actuator.start(), /no expected reply .* within 300 ms/);
  await actuator.stop();
});

void test('Numato: relay 11 is "B", each switch is read back, a stuck relay is an error, still released', async () => {
  MockBinding.createPort('/dev/ttyACM0', { record: true });
  const board = new NumatoDevice();
  const { factory, bindings } = mockPorts(board);
  const config = numatoActuatorSchema.parse({
    driver: 'numato',
    path: '/dev/ttyACM0',
    relay: 11,
    wiring: 'normally-open',
    timing,
    timeoutMs: 1000,
  });
  const relay = createActuator(config, { logger, portFactory: factory });
  await relay.start();
  await relay.press(100);
  assert.deepEqual(
    board.events.map((e) => `${e.outlet}:${e.on}`),
    ['B:false', 'B:true', 'B:false'],
  );
  assert.match(bindings[0]?.recording.toString('latin1') ?? '', /\rrelay on B\r\rrelay read B\r/);
  board.stuck = true;
  await assert.rejects(relay.press(100), /switched on but reads back off/);
  assert.equal(board.relays.get('B'), false);
  await relay.stop();
});
