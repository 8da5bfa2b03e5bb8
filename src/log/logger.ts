import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/** Paths pino must never print in clear, wherever they appear in a log object. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'secret',
  '*.secret',
  'privateKey',
  '*.privateKey',
  'token',
  '*.token',
  'headers.authorization',
];

export interface LoggerSettings {
  level?: string;
  /** 'auto' pretty-prints when stdout is a terminal; journald gets JSON lines. */
  pretty?: boolean | 'auto';
  name?: string;
  destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env.DMCONFIRM_LOG_LEVEL ?? 'info',
    name: settings.name ?? 'dmconfirm',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (settings.destination) return pino(options, settings.destination);
  const pretty = settings.pretty ?? 'auto';
  const wantPretty = pretty === 'auto' ? Boolean(process.stdout.isTTY) : pretty;
  if (wantPretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return pino(options);
}

/** A logger that drops everything: for tests and library use without a host logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
