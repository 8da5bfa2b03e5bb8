// Fakes behind the flows' ports (src/agent/ports.ts), and a flow context built from them
// with the real journal, audit log and publisher in a temporary state directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionOptions, ActionReport } from '../../src/actuators/types.js';
import { StateHealth } from '../../src/agent/state-health.js';
import { OperationJournal, type OperationRecord } from '../../src/agent/journal.js';
import type { ActuatorPort, ReadOptions, RouterPort, UpdateSession } from '../../src/agent/ports.js';
import { Publisher } from '../../src/agent/publisher.js';
import type { AlarmInput, FlowContext } from '../../src/agent/router-context.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { policySchema } from '../../src/config/policy-schema.js';
import { routerSchema } from '../../src/config/router-schema.js';
import { silentLogger } from '../../src/log/logger.js';
import { agentTopics } from '../../src/mqtt/topics.js';
import { modeDefaults, type DeviceModeChange, type DeviceModeState } from '../../src/routeros/device-mode.js';
import { RouterUnreachableError } from '../../src/routeros/errors.js';
import type { RouterResource } from '../../src/routeros/parse.js';
import { realClock, type Clock } from '../../src/time/clock.js';

/**
 * A clock the test drives. By default sleeping moves it forward at once (after pending I/O
 * settles), so a flow's waits cost no real time; with `auto` false a sleep lasts until the
 * test advances the clock past it (or its signal aborts).
 */
export class FakeClock implements Clock {
  #mono = 1_000_000;
  readonly #wallBase = Date.now();
  #sleepers: Array<{ until: number; wake: () => void }> = [];

  constructor(public auto = true) {}

  wall(): Date {
    return new Date(this.#wallBase + this.#mono);
  }

  mono(): number {
    return this.#mono;
  }

  advance(ms: number): void {
    this.#mono += ms;
    const due = this.#sleepers.filter((s) => s.until <= this.#mono);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.#mono);
    for (const sleeper of due) sleeper.wake();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    if (this.auto) {
      this.advance(ms);
      return new Promise((resolve) => setImmediate(resolve));
    }
    return new Promise((resolve) => {
      const sleeper = { until: this.#mono + ms, wake: () => resolve() };
      this.#sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
          resolve();
        },
        { once: true },
      );
    });
  }
}

export function homeState(overrides: Partial<DeviceModeState> = {}): DeviceModeState {
  return {
    mode: 'home',
    features: modeDefaults('home'),
    flagged: false,
    flaggingEnabled: true,
    allowedVersions: '',
    attemptCount: 0,
    ...overrides,
  };
}

/** A router: device-mode and an uptime that counts; an actuation reboots it into `afterBoot`. */
export class FakeRouter implements RouterPort {
  state: DeviceModeState;
  /** What a boot makes of the state; default: nothing pending any more (attempt-count 0). */
  afterBoot: (state: DeviceModeState) => DeviceModeState = (s) => ({ ...s, attemptCount: 0 });
  /** Reads fail as if the router were away. */
  down = false;
  boots = 0;
  readonly updates: Array<{ change: DeviceModeChange; activationTimeoutSeconds: number }> = [];
  /** The update session requestUpdate returns (set by a test of the change flow). */
  update: UpdateSession | undefined;
  /** Uptime counts on this clock (the rig sets its own). */
  clock: Pick<Clock, 'mono'> = realClock;
  /** Up a long time before the test began. */
  #bootedAt = -1e9;

  constructor(state: DeviceModeState = homeState()) {
    this.state = state;
  }

  boot(): void {
    this.boots += 1;
    this.#bootedAt = this.clock.mono();
    this.state = this.afterBoot(this.state);
  }

  readDeviceMode(_options?: ReadOptions): Promise<DeviceModeState> {
    if (this.down) return Promise.reject(new RouterUnreachableError('router away', 'fake'));
    return Promise.resolve(structuredClone(this.state));
  }

  readResource(_options?: ReadOptions): Promise<RouterResource> {
    if (this.down) return Promise.reject(new RouterUnreachableError('router away', 'fake'));
    const uptimeSeconds = Math.floor((this.clock.mono() - this.#bootedAt) / 1000);
    return Promise.resolve({ uptimeSeconds, version: '7.20', boardName: 'fake', architecture: 'arm64' });
  }

  retryNow(): void {}

  requestUpdate(change: DeviceModeChange, activationTimeoutSeconds: number): UpdateSession {
    this.updates.push({ change, activationTimeoutSeconds });
    if (!this.update) throw new Error('no update session scripted');
    return this.update;
  }
}

/** An actuator whose action reaches the router (`onAct`) or fails as told. */
export class FakeActuator implements ActuatorPort {
  readonly kind = 'fake';
  busy = false;
  readonly acts: string[] = [];
  /** Thrown by the next action instead of acting; `edgeFirst` lets one edge out before it. */
  fail: { error: Error; edgeFirst: boolean } | undefined;

  constructor(private readonly onAct: () => void) {}

  press(_ms?: number, options?: ActionOptions): Promise<ActionReport> {
    return this.act('press', options);
  }

  powerCycle(_ms?: number, options?: ActionOptions): Promise<ActionReport> {
    return this.act('power-cycle', options);
  }

  released(): Promise<boolean> {
    return Promise.resolve(true);
  }

  private act(action: ActionReport['action'], options?: ActionOptions): Promise<ActionReport> {
    this.acts.push(action);
    const edge = {
      edge: action === 'press' ? 'button-down' : 'power-off',
      at: new Date().toISOString(),
      monoMs: performance.now(),
    };
    if (this.fail) {
      if (this.fail.edgeFirst) options?.onEdge?.(edge);
      return Promise.reject(this.fail.error);
    }
    options?.onEdge?.(edge);
    this.onAct();
    return Promise.resolve({ action, requestedMs: undefined, effectiveMs: 10, clamped: false, edges: [edge] });
  }
}

export interface FlowRig {
  ctx: FlowContext;
  clock: FakeClock;
  router: FakeRouter;
  button: FakeActuator;
  power: FakeActuator;
  alarms: AlarmInput[];
  /** Every record the journal saved, in order. */
  saved: OperationRecord[];
  journal: OperationJournal;
  /** States of the operation as published, in order. */
  states(): string[];
  /** The final answer's error code, if any. */
  finalCode(): string | undefined;
}

/** A flow context on fakes: bootTimeoutMs short, so waits that must time out do so quickly. */
export async function flowRig(
  t: { after: (fn: () => Promise<void> | void) => void },
  router = new FakeRouter(),
): Promise<FlowRig> {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-flow-'));
  const stopping = new AbortController();
  t.after(async () => {
    stopping.abort();
    await audit.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'password'), 'secret\n');
  const parsed = routerSchema.parse({
    name: 'r1',
    host: '127.0.0.1',
    username: 'dmconfirm',
    password: { file: join(dir, 'password') },
    actuators: {},
  });
  const config = { ...parsed, bootTimeoutMs: 1500 };
  const published: Array<{ topic: string; payload: string }> = [];
  const link = {
    connected: true,
    publish: (topic: string, payload: string | Buffer) => {
      published.push({ topic, payload: payload.toString() });
      return Promise.resolve();
    },
  };
  const topics = agentTopics('dmconfirm/v1', 'lab', 'pi');
  const logger = silentLogger();
  const publisher = new Publisher(link, topics, logger);
  const audit = new AuditLog(join(dir, 'audit.jsonl'));
  await audit.open();
  const journal = new OperationJournal(dir);
  const saved: OperationRecord[] = [];
  const save = journal.save.bind(journal);
  journal.save = (record) => {
    saved.push(structuredClone(record));
    return save(record);
  };
  const now = () => new Date();
  const health = new StateHealth({ stateDir: dir, publisher, logger, now, audit });
  const alarms: AlarmInput[] = [];
  const clock = new FakeClock();
  router.clock = clock;
  const button = new FakeActuator(() => router.boot());
  const power = new FakeActuator(() => router.boot());
  const ctx: FlowContext = {
    name: 'r1',
    config,
    client: router,
    actuators: { button, power },
    policy: policySchema.parse(undefined),
    publisher,
    services: { journal, audit, publisher, logger, now, onChange: () => undefined, health },
    logger,
    clock,
    lastState: () => router.state,
    alarm: (alarm) => {
      alarms.push(alarm);
      return Promise.resolve();
    },
    draftChallenge: () => Promise.resolve(undefined),
    signal: stopping.signal,
  };
  const answers = () =>
    published
      .filter((p) => p.topic.startsWith(`${topics.root}/progress/`))
      .map((p) => JSON.parse(p.payload) as { data: { state: string; final: boolean }; error?: { code: string } });
  return {
    ctx,
    clock,
    router,
    button,
    power,
    alarms,
    saved,
    journal,
    states: () => answers().map((a) => a.data.state),
    finalCode: () => answers().find((a) => a.data.final)?.error?.code,
  };
}
