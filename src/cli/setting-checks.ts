/**
 * The operator settings (`--broker`, `--site`, `--protocol`, ...) checked where they came from:
 * a bad value from DMCONFIRM_PROTOCOL or from the settings file is reported under that
 * variable or that file's key, not as if it had been typed as `--protocol`.
 */
import { BrokerOptionError, brokerSettings } from '../operator/broker.js';
import type { OperatorSetting } from '../operator/settings.js';
import { agentTopics, topicLevel, TopicError } from '../mqtt/topics.js';
import { CliError } from './cli-error.js';
import { durationMs } from './duration.js';

/** Where a setting's value came from: typed, DMCONFIRM_*, or the settings file's key. */
export type Origin = { kind: 'cli' } | { kind: 'env'; variable: string } | { kind: 'file'; file: string; key: string };

/** "DMCONFIRM_PROTOCOL", "protocol: in /home/noc/.config/dmconfirm/operator.yaml". */
export function describeOrigin(origin: Origin): string | undefined {
  if (origin.kind === 'env') return origin.variable;
  if (origin.kind === 'file') return `${origin.key}: in ${origin.file}`;
  return undefined;
}

/** One line for a TopicError under the option's name (`--site: "a/b" cannot be ...`). */
export function topicErrorLine(error: TopicError): string {
  const option = { 'base topic': '--base', site: '--site', 'agent id': '--agent' }[error.what ?? ''];
  const rule =
    error.what === 'base topic'
      ? 'is not an MQTT topic prefix (no + or #)'
      : 'cannot be an MQTT topic level (no /, + or #)';
  return option ? `${option}: "${error.value}" ${rule}` : error.message;
}

/** What is wrong with a setting's value, in the option's own terms; undefined when it is fine. */
function problemOf(name: string, value: string): string | undefined {
  try {
    if (name === 'broker') brokerSettings({ broker: value }, 'check');
    else if (name === 'protocol') brokerSettings({ broker: 'mqtt://check', protocol: value }, 'check');
    else if (name === 'site') topicLevel(value, 'site');
    else if (name === 'base') agentTopics(value, 'check', 'check');
    else if (name === 'connect-timeout' || name === 'offline-after') durationMs(value, `--${name}`);
  } catch (error) {
    if (error instanceof BrokerOptionError || error instanceof CliError) return error.message;
    if (error instanceof TopicError) return topicErrorLine(error);
    throw error;
  }
  return undefined;
}

/**
 * Checks a setting's value when it did not come from the command line (whose values each
 * command checks itself), and throws naming where it came from.
 */
export function checkSetting(setting: OperatorSetting, value: string, origin: Origin): void {
  const from = describeOrigin(origin);
  if (from === undefined) return;
  if (value.trim() === '') throw new CliError(`--${setting.name}: ${from} is empty; give it a value or remove it`, 2);
  const problem = problemOf(setting.name, value);
  if (problem === undefined) return;
  throw new CliError(`${problem} (the value "${value}" comes from ${from})`, 2);
}
