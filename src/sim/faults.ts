/**
 * TEST ONLY: faults injected on demand into a simulated router, so tests can cut API
 * connections at a chosen moment with real TCP resets through the real client. Nothing
 * here is ever on by default.
 */

/** Which commands a drop rule catches: an exact API command word, or '*' for any. */
export interface DropRuleInput {
  command: string;
  /**
   * 'before': the connection is reset when the command arrives; the router never runs it.
   * 'after': the router starts the command (an update is then pending), sends no answer,
   * and the connection is reset: the client's call is cut mid-way.
   */
  when?: 'before' | 'after';
  /** How many matching commands to drop; default 1, Infinity until cleared. */
  times?: number;
  /** In process only: the rule applies only while this says so (e.g. after the next boot). */
  onlyIf?: () => boolean;
}

export interface DropRule {
  readonly command: string;
  readonly when: 'before' | 'after';
  /** Drops still to do. */
  remaining: number;
  /** Connections this rule has dropped so far. */
  hits: number;
  readonly onlyIf: (() => boolean) | undefined;
}

export interface InjectedFaultsState {
  refuseLogins: boolean;
  hangBoot: boolean;
  drops: number;
  rules: Array<{ command: string; when: 'before' | 'after'; remaining: number | 'unlimited'; hits: number }>;
}

export class InjectedFaults {
  /** Every connection reset at a login while logins are refused. */
  refuseLogins = false;
  /** Boots never finish while set (the router stays `booting`, the API port closed). */
  hangBoot = false;
  /** Connections reset by any rule, by a refused login or by dropApiSessions(). */
  drops = 0;
  readonly rules: DropRule[] = [];

  dropOn(input: DropRuleInput): DropRule {
    const times = input.times ?? 1;
    if (!(times > 0)) throw new RangeError('times must be > 0');
    const rule: DropRule = {
      command: input.command,
      when: input.when ?? 'before',
      remaining: times,
      hits: 0,
      onlyIf: input.onlyIf,
    };
    this.rules.push(rule);
    return rule;
  }

  /** The rule that takes this command, counted as used. */
  take(command: string): DropRule | undefined {
    const rule = this.rules.find(
      (r) => r.remaining > 0 && (r.command === '*' || r.command === command) && (r.onlyIf?.() ?? true),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    rule.hits += 1;
    if (rule.remaining <= 0) this.rules.splice(this.rules.indexOf(rule), 1);
    return rule;
  }

  /** Removes every drop rule (logins and boots are switched separately). */
  clearRules(): void {
    this.rules.length = 0;
  }

  state(): InjectedFaultsState {
    return {
      refuseLogins: this.refuseLogins,
      hangBoot: this.hangBoot,
      drops: this.drops,
      rules: this.rules.map((r) => ({
        command: r.command,
        when: r.when,
        remaining: Number.isFinite(r.remaining) ? r.remaining : 'unlimited',
        hits: r.hits,
      })),
    };
  }
}
