/**
 * Latency of one agent on loopback: real mosquitto, the RouterOS simulator and the real
 * agent in this process (the e2e harness), every instant taken with performance.now()
 * where it happens: the publish, the simulator's own events, the observer's arrivals.
 */
import type { AgentResponse } from '../src/mqtt/contract.js';
import { fsyncCount } from '../src/store/fsync-count.js';
import { E2E } from '../test/e2e/harness.js';
import { percentile, round, sleep } from './stats.js';

export interface LatencyResult {
  approvalToEdge: number[];
  /** Approval → the agent's "actuating" answer received: the part before the relay is driven. */
  approvalToActuatingAnswer: number[];
  /** fsyncs the agent made between the approval's publish and the first relay edge. */
  approvalFsyncs: number[];
  detectObserved: number[];
  requestToPending: number[];
  e2eOverhead: number[];
  failures: string[];
}

/** Timestamps of what the simulated router did, and of what the observer received. */
class Timeline {
  readonly router: Array<{ what: string; at: number; fsyncs: number; data: Record<string, unknown> }> = [];
  readonly arrivals: Array<{ topic: string; payload: string; at: number }> = [];

  constructor(e2e: E2E) {
    for (const what of ['power', 'button', 'update-requested', 'booted'] as const) {
      e2e.site.router.on(what, (data: Record<string, unknown>) =>
        this.router.push({ what, at: performance.now(), fsyncs: fsyncCount(), data }),
      );
    }
    e2e.observer.client.on('message', (topic, payload) =>
      this.arrivals.push({ topic, payload: payload.toString(), at: performance.now() }),
    );
  }

  firstRouter(
    what: string,
    after: number,
    match: (d: Record<string, unknown>) => boolean = () => true,
  ): number | undefined {
    return this.router.find((e) => e.what === what && e.at >= after && match(e.data))?.at;
  }

  async arrival(
    match: (topic: string, payload: string) => boolean,
    after: number,
    what: string,
    timeoutMs = 30_000,
  ): Promise<{ at: number; payload: string }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.arrivals.find((a) => a.at >= after && match(a.topic, a.payload));
      if (hit) return hit;
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(5);
    }
  }
}

function site(pressMs: number) {
  return {
    // Short physical times rather than a time scale: the agent judges a reboot by comparing
    // the router's uptime with its own clock, which a scaled simulator would confuse.
    router: { timing: { bootMs: 500, shutdownMs: 250, minOffMs: 375 } },
    // The default poll interval: detection latency is judged against it.
    routerConfig: { pollIntervalMs: 1000 },
    policy: { maxOperationsPerHour: 60 },
    offMs: 2000,
    pressMs,
  };
}

/**
 * Someone else's update → challenge (detection), then approval → first relay edge: the
 * path on which the agent only verifies the approval, re-reads the router and acts.
 */
export async function observedPendingSamples(
  samples: number,
  out: LatencyResult,
  log: (line: string) => void,
): Promise<void> {
  const e2e = new E2E();
  try {
    await e2e.start(site(100));
    const t = new Timeline(e2e);
    for (let i = 0; i < samples; i++) {
      const change = i % 2 === 0 ? { enable: ['fetch'] } : { disable: ['fetch'] };
      try {
        await observedOnce(e2e, t, change, out, (line) => log(`  observed #${i + 1}/${samples}: ${line}`));
      } catch (error) {
        out.failures.push(`observed #${i + 1}: ${(error as Error).message}`);
      }
    }
  } finally {
    await e2e.stop();
  }
}

async function observedOnce(
  e2e: E2E,
  t: Timeline,
  change: { enable?: string[]; disable?: string[] },
  out: LatencyResult,
  log: (line: string) => void,
): Promise<void> {
  const topics = e2e.topics;
  // A fresh poll phase each time: the update lands anywhere in the 1 s interval.
  await sleep(300 + Math.random() * 1000);
  const before = performance.now();
  e2e.otherClientUpdate(change);
  const challengeSeen = await t.arrival(
    (topic, p) => topic === topics.challenge('hap1') && p !== '',
    before,
    'challenge',
  );
  const requested = t.firstRouter('update-requested', before);
  if (requested !== undefined) out.detectObserved.push(challengeSeen.at - requested);
  // Approved once the agent has recorded the challenge (journal and audit: its `challenged`
  // event), as any approver who reads the challenge first does: an approval racing that
  // bookkeeping would time the agent's own challenge writes as part of the approval's path.
  await t.arrival(
    (topic, p) => topic === topics.events && p.includes('"state":"challenged"'),
    before,
    'the challenged event',
  );
  const open = JSON.parse(challengeSeen.payload) as { challenge: Parameters<typeof e2e.site.team.approval>[0] };
  const approval = await e2e.site.team.approval(open.challenge, { expect: change, method: 'button' });
  const requestId = e2e.requestIdOf(approval);
  const sent = performance.now();
  const fsyncsBefore = fsyncCount();
  await e2e.publish('approval', approval);
  const final = await finalOf(t, topics.progress(requestId), sent);
  const edge = t.firstRouter('button', sent, (d) => d.down === true);
  if (final.data.state !== 'done' || edge === undefined)
    throw new Error(`${final.data.state} ${final.error?.code ?? ''} ${final.data.detail ?? ''}`);
  out.approvalToEdge.push(edge - sent);
  const down = t.router.find((e) => e.what === 'button' && e.at === edge);
  if (down) out.approvalFsyncs.push(down.fsyncs - fsyncsBefore);
  const actuating = t.arrivals.find(
    (a) => a.at >= sent && a.topic === topics.progress(requestId) && a.payload.includes('"state":"actuating"'),
  );
  if (actuating) out.approvalToActuatingAnswer.push(actuating.at - sent);
  log(
    `detect ${round(challengeSeen.at - (requested ?? NaN))} ms, approval→"actuating" answer ` +
      `${round((actuating?.at ?? NaN) - sent)} ms, approval→press ${round(edge - sent)} ms`,
  );
  // The agent must see attempt-count back at 0 after the reboot before the next update: one
  // within the same poll interval would look like no rise at all (see README, Benchmarks).
  await t.arrival(
    (topic, p) =>
      topic === topics.routerState('hap1') && p.includes('"attemptCount":0') && p.includes('"operation":null'),
    final.arrivedAt,
    'attempt-count 0 after reboot',
  );
}

/** Signed change request → update pending on the router, and → verified minus off and boot time. */
export async function changeRequestSamples(
  samples: number,
  out: LatencyResult,
  log: (line: string) => void,
): Promise<void> {
  const e2e = new E2E();
  try {
    await e2e.start(site(100));
    const t = new Timeline(e2e);
    for (let i = 0; i < samples; i++) {
      try {
        const change = i % 2 === 0 ? { enable: ['container'] } : { disable: ['container'] };
        await sleep(500);
        const jws = await e2e.site.team.changeRequest({
          agent: 'pi-demo',
          router: e2e.router,
          change,
          method: 'power',
          activationTimeoutSeconds: 120,
        });
        const requestId = e2e.requestIdOf(jws);
        const sent = performance.now();
        await e2e.publish('request', jws);
        const final = await finalOf(t, e2e.topics.progress(requestId), sent);
        const pending = t.firstRouter('update-requested', sent);
        const off = t.firstRouter('power', sent, (d) => d.on === false);
        const on = t.firstRouter('power', sent, (d) => d.on === true);
        const booted = t.firstRouter('booted', sent);
        if (
          final.data.state !== 'done' ||
          pending === undefined ||
          off === undefined ||
          on === undefined ||
          booted === undefined
        ) {
          out.failures.push(`change #${i}: ${final.data.state} ${final.error?.code ?? ''} ${final.data.detail ?? ''}`);
          continue;
        }
        out.requestToPending.push(pending - sent);
        const total = final.arrivedAt - sent;
        const overhead = total - (on - off) - (booted - on);
        out.e2eOverhead.push(overhead);
        log(
          `  change #${i + 1}/${samples}: →pending ${round(pending - sent)} ms, →verified ${round(total)} ` +
            `ms (off ${round(on - off)}, boot ${round(booted - on)}), overhead ${round(overhead)} ms`,
        );
      } catch (error) {
        out.failures.push(`change #${i + 1}: ${(error as Error).message}`);
      }
    }
  } finally {
    await e2e.stop();
  }
}

/** The final answer on `topic` and when it arrived (performance.now()). */
async function finalOf(t: Timeline, topic: string, after: number): Promise<AgentResponse & { arrivedAt: number }> {
  const hit = await t.arrival(
    (tp, p) => tp === topic && (JSON.parse(p) as AgentResponse).data.final,
    after,
    `final answer on ${topic}`,
    60_000,
  );
  return { ...(JSON.parse(hit.payload) as AgentResponse), arrivedAt: hit.at };
}

export function summarize(values: number[]): { p50: number; p99: number } {
  return { p50: round(percentile(values, 50)), p99: round(percentile(values, 99)) };
}
