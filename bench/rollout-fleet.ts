/**
 * Lightweight simulated agents for the rollout bench: one MQTT client stands in for every
 * agent of the fleet. Each campaign order it receives is verified by the real agent-side
 * verifier (approvals, inclusion proof, release), then answered on the target's progress
 * topic like an agent does: `requesting`, then `done` (or `failed` for the targets told to
 * fail) after a short simulated operation.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Policy } from '../src/config/policy-schema.js';
import { messageDigest, parseTopic } from '../src/mqtt/contract.js';
import { fixedClock } from '../src/time/wall-clock.js';
import { verifyCampaignOrder } from '../src/trust/campaign/verify.js';
import { NonceStore } from '../src/trust/nonce-store.js';
import { ReplayStore } from '../src/trust/replay-store.js';
import { SkCounterStore } from '../src/trust/ssh/sk-counters.js';
import type { TrustRoot } from '../src/trust/trust-root.js';
import { sleep } from './stats.js';

const POLICY: Policy = {
  allowedFeatures: ['container'],
  allowedModes: [],
  allowFlaggedClear: false,
  maxOperationsPerHour: 10,
  minActionMarginMs: 5000,
};

export interface FleetStats {
  /** Orders the simulated agents accepted (a target started), with the time and the target's wave. */
  started: Array<{ agent: string; wave: number; at: number }>;
  refused: number;
  answered: number;
}

export class SimulatedRolloutFleet {
  readonly stats: FleetStats = { started: [], refused: 0, answered: 0 };
  readonly #replay = new ReplayStore();
  readonly #pending = new Set<Promise<void>>();

  private constructor(
    private readonly client: MqttClient,
    private readonly o: { base: string; root: TrustRoot; failing: ReadonlySet<string>; operationMs: number },
  ) {}

  static async start(url: string, o: SimulatedRolloutFleet['o']): Promise<SimulatedRolloutFleet> {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 5,
      clientId: `bench-rollout-fleet-${process.pid}`,
      reconnectPeriod: 200,
    });
    const fleet = new SimulatedRolloutFleet(client, o);
    client.on('message', (topic, payload) => {
      const work = fleet.#handle(topic, payload).finally(() => fleet.#pending.delete(work));
      fleet.#pending.add(work);
    });
    await client.subscribeAsync(`${o.base}/+/+/release`, { qos: 1 });
    return fleet;
  }

  async #handle(topic: string, payload: Buffer): Promise<void> {
    const parsed = parseTopic(this.o.base, topic);
    if (parsed?.kind !== 'release') return;
    const serial =
      (JSON.parse(payload.toString()) as { target?: { router?: { serial?: string } } }).target?.router?.serial ?? '';
    const verdict = await verifyCampaignOrder(payload, {
      trustRoot: this.o.root,
      agentId: parsed.agent,
      router: { name: 'hap1', serial, methods: ['power'] },
      clock: fixedClock(Date.now(), true),
      policy: POLICY,
      replayStore: this.#replay,
      skCounters: new SkCounterStore(),
      nonceStore: new NonceStore(),
    });
    const progress = (id: string, body: object) =>
      this.client.publishAsync(
        `${this.o.base}/${parsed.site}/${parsed.agent}/progress/${id}`,
        JSON.stringify({ v: 1, id, at: new Date().toISOString(), ...body }),
        { qos: 1 },
      );
    if (!verdict.ok) {
      this.stats.refused++;
      return;
    }
    this.stats.started.push({ agent: parsed.agent, wave: verdict.campaign.wave, at: Date.now() });
    const id = verdict.message.requestId;
    // Like the agent: every answer quotes the digest of the order it answers.
    const inReplyTo = messageDigest(payload);
    await progress(id, { status: 'ok', data: { state: 'requesting', final: false, inReplyTo } });
    await sleep(this.o.operationMs);
    const fail = this.o.failing.has(parsed.agent);
    await progress(
      id,
      fail
        ? {
            status: 'error',
            data: { state: 'failed', final: true, inReplyTo },
            error: { code: 'not-confirmed', message: 'simulated failure' },
          }
        : { status: 'ok', data: { state: 'done', final: true, inReplyTo } },
    );
    this.stats.answered++;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
    await this.client.endAsync(true);
  }
}
