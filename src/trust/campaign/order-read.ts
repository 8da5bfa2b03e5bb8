import { deepFreeze, openNestedEnvelope, parseNestedEnvelope } from '../jws.js';
import type { Envelope, OpenedEnvelope } from '../jws.js';
import { refuse, TrustError } from '../refusal.js';
import { parseStrictOrRefuse } from '../strict-json.js';
import { campaignOrderSchema, MAX_ORDER_BYTES } from './schema.js';
import type { CampaignOrder } from './schema.js';

/** What reading one part gave: its value, or the refusal it earns when verification gets to it. */
export type PartReading<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: TrustError };

/**
 * A campaign order read once, as the agent reads every signed message at its door: the
 * order (strict JSON, strict schema), the campaign envelope and its payload (openEnvelope's
 * reading), and the release envelope, whose payload is read once its signatures are
 * checked. Nothing is verified yet. A part that cannot be read keeps its refusal, raised
 * where verification reaches that part: the same reason as when each part was read there.
 */
export interface OpenedCampaignOrder {
  readonly order: CampaignOrder;
  readonly campaign: PartReading<OpenedEnvelope>;
  readonly release: PartReading<Envelope>;
}

/** The bytes of a campaign order, or the order already read by openCampaignOrder. */
export type CampaignOrderInput = Uint8Array | string | OpenedCampaignOrder;

/** Every reading openCampaignOrder made: no other object passes for one. */
const OPENED = new WeakSet<object>();

export function readCampaignOrder(bytes: Uint8Array | string): CampaignOrder {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
  if (size > MAX_ORDER_BYTES) refuse('too-large', `campaign order is ${size} bytes; the limit is ${MAX_ORDER_BYTES}`);
  return parseStrictOrRefuse(campaignOrderSchema, bytes, 'malformed', 'campaign order');
}

function part<T>(read: () => T): PartReading<T> {
  try {
    return { ok: true, value: read() };
  } catch (error) {
    if (error instanceof TrustError) return { ok: false, error };
    throw error;
  }
}

/** The part's value, or its refusal. */
export function partOf<T>(reading: PartReading<T>): T {
  if (!reading.ok) throw reading.error;
  return reading.value;
}

/**
 * Reads a campaign order once (see OpenedCampaignOrder), frozen; one this function already
 * read is returned as it is, and any other object is refused. An order that cannot be read
 * at all is refused here (too-large, malformed).
 */
export function openCampaignOrder(input: CampaignOrderInput): OpenedCampaignOrder {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    if (!OPENED.has(input)) throw new TypeError('not a campaign order read by openCampaignOrder');
    return input;
  }
  const order = deepFreeze(readCampaignOrder(input));
  const release = part(() => deepFreeze(parseNestedEnvelope(order.release)));
  const opened = Object.freeze({
    order,
    campaign: Object.freeze(part(() => openNestedEnvelope(order.campaign))),
    release: Object.freeze(release),
  });
  OPENED.add(opened);
  return opened;
}
