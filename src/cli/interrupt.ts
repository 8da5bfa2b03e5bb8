/** Ctrl-C (or SIGTERM) while following: `until` resolves, and `release` restores the defaults. */
export function onInterrupt(): { until: Promise<void>; release: () => void } {
  let stop: () => void = () => undefined;
  const until = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    until,
    release: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/** The command that follows a request again, with the connection options that differ from the defaults. */
export function followCommand(
  requestId: string,
  o: { broker?: string | undefined; base?: string | undefined; explicitBroker?: boolean | undefined },
  defaultBase: string,
): string {
  const parts = ['dmconfirm follow', requestId];
  if (o.broker !== undefined && o.explicitBroker !== false) parts.push(`--broker ${o.broker}`);
  if (o.base !== undefined && o.base !== defaultBase) parts.push(`--base ${o.base}`);
  return parts.join(' ');
}
