import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger, type Logger } from '../log/logger.js';
import { SystemdNotifier } from '../systemd/notify.js';
import { Agent } from './agent.js';

/** Exit codes systemd and operators see (sysexits where one fits). */
export const EXIT_CODES = {
  ok: 0,
  /** A part failed at run time; systemd restarts us into crash recovery. */
  failed: 1,
  /** The configuration is invalid: restarting will not help. */
  config: 78,
  /** An uncaught exception or unhandled rejection. */
  software: 70,
} as const;

/**
 * How long a stop may take before we give up waiting (a started pulse has released by then);
 * with FORCED_RELEASE_MS on top it stays inside the unit's TimeoutStopSec=30.
 */
export const STOP_TIMEOUT_MS = 25_000;
/** After a stop that took too long: the outputs are forced released for at most this long, then we exit. */
const FORCED_RELEASE_MS = 3_000;

/**
 * The daemon's launcher: configuration, logger, systemd readiness and watchdog, signals,
 * and the exit code. Everything else lives in Agent. This is the only place that decides
 * the process ends.
 */
export async function runAgent(configFile: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let loaded;
  try {
    loaded = loadConfig(configFile, { env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`dmconfirm agent: refusing to start\n${error.message}\n`);
      return EXIT_CODES.config;
    }
    throw error;
  }
  const { config } = loaded;
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, name: 'dmconfirm-agent' });
  const notifier = new SystemdNotifier({ env, logger: logger.child({ component: 'systemd' }) });
  const agent = await Agent.create(config, { logger });

  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  let stopping = false;
  const shutdown = (code: number, why: string) => {
    if (stopping) {
      logger.warn({ why }, 'already stopping');
      return;
    }
    stopping = true;
    logger.info({ why }, 'stopping');
    const timer = setTimeout(() => {
      logger.error('stop took too long; releasing the actuators and exiting anyway');
      void withDeadline(agent.forceRelease(), FORCED_RELEASE_MS).finally(() => finish(EXIT_CODES.failed));
    }, STOP_TIMEOUT_MS);
    timer.unref();
    void notifier
      .stopping(why)
      .catch(() => undefined)
      .then(() => agent.stop())
      .then(
        () => finish(code),
        () => finish(EXIT_CODES.failed),
      )
      .finally(() => clearTimeout(timer));
  };

  const onSignal = (signal: NodeJS.Signals) => shutdown(EXIT_CODES.ok, `signal ${signal}`);
  const onCrash = (error: unknown) => {
    logger.fatal({ err: error }, 'uncaught error');
    shutdown(EXIT_CODES.software, 'uncaught error');
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  // A router supervisor that hit a bug: stop everything (actuators release) and let systemd restart us.
  agent.on('fatal', (error) => {
    logger.fatal({ err: error }, 'agent part failed');
    shutdown(EXIT_CODES.failed, 'a part failed');
  });

  // Not awaited: a start that waits on something (a router, the state directory) must not keep a stop from ending us.
  void agent.start().then(
    async () => {
      const status = `watching ${config.routers.length} router(s)`;
      await notifier.ready(status).catch((error: unknown) => logger.warn({ err: error }, 'sd_notify failed'));
      notifier.startWatchdog(() => !stopping);
    },
    (error: unknown) => {
      if (stopping) return;
      logger.fatal({ err: error }, 'start failed');
      agent.startFailed(error);
      shutdown(EXIT_CODES.failed, 'start failed');
    },
  );
  const code = await done;
  notifier.stopWatchdog();
  logger.info({ code }, 'stopped');
  await flush(logger);
  return code;
}

/** Flushes the log, but never waits on it for long: the process must end. */
function flush(logger: Logger): Promise<void> {
  return withDeadline(new Promise<void>((resolve) => logger.flush(() => resolve())), 1000);
}

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
function withDeadline(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    deadline,
  ]).finally(() => clearTimeout(timer));
}
