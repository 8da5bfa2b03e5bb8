/**
 * Scenario 2: someone with broker access but no key in the trust root publishes a request
 * in the requester's name. The agent must refuse it, raise a security event, and touch nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { eventSchema, parsePayload } from '../mqtt/contract.js';
import type { AgentEvent } from '../mqtt/contract.js';
import { EXIT, outcome, summary } from '../operator/progress.js';
import { buildChange, buildChangeRequest } from '../trust/drafts.js';
import { TYP } from '../trust/messages.js';
import type { DemoStage } from './stage.js';

const REFUSAL_MS = 10_000;
/** After the refusal, how long we watch the router for an actuation that must not come. */
const QUIET_MS = 1_000;

export async function forgedRequest(stage: DemoStage): Promise<void> {
  stage.section('2. A forged request: signed by a key the trust root does not know');
  const site = stage.site;
  const team = site.team;
  // Mallory has broker access and claims to be ops-bot; only her own key can sign.
  const payload = buildChangeRequest({
    agent: site.agentId,
    router: { serial: site.serial },
    requester: { name: team.requester.name, keyId: team.requester.keyId },
    now: Date.now(),
    change: buildChange({ enable: ['socks'] }),
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  const jws = await team.sign(payload, TYP.request, [team.mallory]);
  stage.say(
    'attacker',
    `${team.mallory.name} publishes a request for socks=yes that claims ` +
      `to come from ${team.requester.name}, signed with her own key`,
  );
  const before = site.router.state();
  const { power, updates } = stage.observer.actuations;
  const following = await stage.follow(jws, REFUSAL_MS);
  const final = following.steps.find((s) => s.final);
  stage.check(
    'forged request refused',
    outcome(following) === EXIT.refused && final?.error?.code === 'unknown-key',
    final?.error ? `${final.error.code}: ${final.error.message}` : summary(following, outcome(following), REFUSAL_MS),
  );

  const events = stage.topics.events;
  const event = await stage.observer
    .waitFor((m) => m.topic === events && m.payload.includes(following.requestId), 'the security event', 3_000)
    .then((text) => parsePayload(eventSchema, events, text))
    .catch(() => undefined);
  if (event) stage.say('agent', `event ${event.type}/${event.severity}: ${event.code}: ${event.message}`);
  stage.check(
    'security event raised',
    isSecurity(event),
    event ? `${event.type} ${event.severity} ${event.code}` : 'none seen',
  );

  await sleep(QUIET_MS);
  const after = site.router.state();
  const now = stage.observer.actuations;
  const untouched =
    now.power === power &&
    now.updates === updates &&
    after.uptimeMs > before.uptimeMs &&
    after.attemptCount === before.attemptCount &&
    !after.deviceMode.features.socks;
  stage.check(
    'no actuation',
    untouched,
    `${now.power - power} power events, ${now.updates - updates} update ` +
      `requests, uptime kept counting (${(before.uptimeMs / 1000).toFixed(1)} ` +
      `s -> ${(after.uptimeMs / 1000).toFixed(1)} s), attempt-count ` +
      `${after.attemptCount}, socks=${after.deviceMode.features.socks ? 'yes' : 'no'}`,
  );
}

/** The refusal of an unknown key is a security event, not just an error. */
function isSecurity(event: AgentEvent | undefined): boolean {
  return event?.type === 'security' && event.code === 'unknown-key';
}
