import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { MqttLink } from '../mqtt/connection.js';
import { ROLLOUT_STATUS_EXPIRY_SECONDS } from '../mqtt/contract.js';
import type { MqttLinkSettings } from '../mqtt/connection.js';
import { connectOperator } from '../operator/broker.js';
import { TargetTree } from '../trust/campaign/build.js';
import { verifyCampaign } from '../trust/campaign/verify.js';
import { openEnvelope } from '../trust/jws.js';
import type { Envelope, Signer } from '../trust/jws.js';
import { refuse } from '../trust/refusal.js';
import { TrustRoot } from '../trust/trust-root.js';
import { Coordinator } from './coordinator.js';
import { parseInventory, signedPart } from './inventory.js';
import { StatusPublisher } from './status-publisher.js';
import type { FleetTarget } from './inventory.js';

export interface StartOptions {
  dir: string;
  /** The signed campaign and the inventory: copied into `dir` on the first start, read from there after. */
  campaignFile?: string;
  targetsFile?: string;
  trustRootFile: string;
  key: Signer;
  base: string;
  broker: MqttLinkSettings;
  connectTimeoutMs: number;
  tickMs: number;
  targetTimeoutMs?: number;
  releaseValidityMs: number;
  logger: Logger;
  /** Resolves when the coordinator should stop (SIGTERM); it resumes from its journal on the next start. */
  until: Promise<void>;
}

/** A file of the state directory, or the given one (the same bytes if both exist); `pin` copies it there. */
async function pinned(
  dir: string,
  name: string,
  given: string | undefined,
  what: string,
): Promise<{ text: string; pin: () => Promise<void> }> {
  const path = join(dir, name);
  const kept = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) =>
    error.code === 'ENOENT' ? undefined : Promise.reject(error),
  );
  const fresh = given === undefined ? undefined : await readFile(given, 'utf8');
  if (kept !== undefined && fresh !== undefined && kept !== fresh)
    refuse('bad-payload', `${dir} already runs another ${what}; give a new --state-dir`);
  const text = kept ?? fresh;
  if (text === undefined) refuse('bad-payload', `${dir} holds no ${what} yet: give --${what}`);
  return { text, pin: () => (kept === undefined ? writeFile(path, text, { mode: 0o600 }) : Promise.resolve()) };
}

/** Checks everything before the first release: approvals, the coordinator key, the targets against the signed root. */
export async function prepare(
  o: Pick<StartOptions, 'dir' | 'campaignFile' | 'targetsFile' | 'trustRootFile' | 'key'>,
  pin: boolean,
) {
  const campaignFile = await pinned(o.dir, 'campaign.json', o.campaignFile, 'campaign');
  const targetsFile = await pinned(o.dir, 'targets.yaml', o.targetsFile, 'targets');
  const [campaignText, targetsText] = [campaignFile.text, targetsFile.text];
  const trustRoot = TrustRoot.fromEnvelopeText(await readFile(o.trustRootFile, 'utf8'));
  // Read once: verified as read, and the same envelope is what every order carries.
  const opened = openEnvelope(campaignText);
  const campaignEnvelope: Envelope = opened.envelope;
  const { campaign, digest } = await verifyCampaign(opened, { trustRoot });
  const coordinator = trustRoot.ownerOf(o.key.keyId);
  if (
    coordinator?.name !== campaign.coordinator.name ||
    (campaign.coordinator.keyId !== undefined && campaign.coordinator.keyId !== o.key.keyId)
  ) {
    refuse(
      'release-unauthorized',
      `key ${o.key.keyId} is not the campaign's coordinator ` +
        `${campaign.coordinator.name}; agents would refuse its releases`,
    );
  }
  const targets: FleetTarget[] = parseInventory(targetsText, join(o.dir, 'targets.yaml'));
  const tree = new TargetTree(targets.map(signedPart));
  if (tree.root !== campaign.targets.root || targets.length !== campaign.targets.count) {
    refuse(
      'not-in-campaign',
      `the targets file does not give the campaign's target tree (${targets.length} targets, ` +
        `root ${tree.root}; signed: ${campaign.targets.count}, ${campaign.targets.root})`,
    );
  }
  // Pinned only once everything checked out: a state directory never holds an unapproved campaign.
  if (pin) {
    await mkdir(o.dir, { recursive: true, mode: 0o700 });
    await campaignFile.pin();
    await targetsFile.pin();
  }
  return { campaignEnvelope, campaign, digest, targets, tree };
}

/** `rollout start`: runs the coordinator until the rollout is finished or `until` resolves. */
export async function runCoordinator(o: StartOptions): Promise<Coordinator> {
  const prepared = await prepare(o, true);
  const held: { link?: MqttLink } = {};
  const status = new StatusPublisher(
    o.base,
    (topic, payload) =>
      held.link!.publish(topic, payload, { qos: 1, retain: true, expirySeconds: ROLLOUT_STATUS_EXPIRY_SECONDS }),
    o.logger,
  );
  const coordinator = await Coordinator.open({
    ...prepared,
    dir: o.dir,
    base: o.base,
    key: o.key,
    now: () => Date.now(),
    logger: o.logger,
    targetTimeoutMs:
      o.targetTimeoutMs ?? o.releaseValidityMs + (prepared.campaign.activationTimeoutSeconds + 600) * 1000,
    releaseValidityMs: o.releaseValidityMs,
    publish: (topic, payload, expirySeconds) => held.link!.publish(topic, payload, { qos: 1, expirySeconds }),
    status,
  });
  // A persistent session under a stable id: answers sent while the coordinator restarts are kept for it.
  const settings: MqttLinkSettings = {
    ...o.broker,
    clientId: `dmconfirm-rollout-${prepared.campaign.campaignId}`,
    persistent: true,
    sessionExpirySeconds: 7 * 86_400,
  };
  const link = (held.link = await connectOperator(settings, {
    subscriptions: coordinator.subscriptions(),
    onMessage: (m) => coordinator.onMessage(m.topic, m.payload),
    timeoutMs: o.connectTimeoutMs,
  }));
  let stopping = false;
  void o.until.then(() => (stopping = true));
  try {
    // Every part of the status once (a restart publishes it afresh), then only what changes.
    coordinator.publishStatus();
    const resent = await coordinator.resend();
    if (resent > 0) o.logger.info({ resent }, 'rollout: orders of released targets sent again after a restart');
    while (!coordinator.finished && !stopping) {
      await coordinator.tick();
      await Promise.race([new Promise((resolve) => setTimeout(resolve, o.tickMs)), o.until]);
    }
    await coordinator.flush();
    await status.settle(5000);
  } finally {
    await link.stop({ timeoutMs: 2000 });
  }
  return coordinator;
}
