import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import { probeRouter, REFUSE_AT_ATTEMPTS } from '../../probe/probe.js';
import { ProbeError, type ProbeTarget } from '../../probe/wire-session.js';
import { writeFileAtomic } from '../../store/atomic-file.js';
import { CliError } from '../cli-error.js';

interface ProbeFlags {
  host: string;
  port?: string;
  tls?: boolean;
  fingerprint?: string;
  user: string;
  passwordFile: string;
  withUpdate?: boolean;
  yes?: boolean;
  out: string;
  timeScale: string;
  source: 'router' | 'simulator';
}

/** Flags → the target (pure; the password file is read by the caller). */
export function probeTarget(f: ProbeFlags, password: string): ProbeTarget {
  if (f.tls && !f.fingerprint) throw new CliError("--tls needs --fingerprint (the router certificate's SHA-256)", 2);
  if (!f.tls && f.fingerprint) throw new CliError('--fingerprint only applies with --tls', 2);
  const port = Number(f.port ?? (f.tls ? 8729 : 8728));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`--port: not a port: ${f.port}`, 2);
  return { host: f.host, port, user: f.user, password, ...(f.tls ? { tls: { fingerprint: f.fingerprint! } } : {}) };
}

async function confirmUpdateRun(host: string): Promise<boolean> {
  console.log(
    `--with-update: dmconfirm asks ${host} for ONE device-mode ` +
      `update (flagging-enabled as it is, activation-timeout=10s)`,
  );
  console.log(
    'and cancels it; nothing is pressed, cut or confirmed, and nothing changes, but attempt-count rises by one.',
  );
  console.log(`It refuses when attempt-count is already ${REFUSE_AT_ATTEMPTS} or more. Use lab routers only.`);
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  try {
    const answer = await rl.question('Type yes to go on: ');
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description('Measure how a real router behaves where the simulator can only believe; writes a report to share')
    .requiredOption('--host <address>', 'router address')
    .option('--port <port>', 'API port (default 8728, or 8729 with --tls)')
    .option('--tls', 'use api-ssl, pinned to --fingerprint')
    .option('--fingerprint <sha256>', "the router certificate's SHA-256 fingerprint (with --tls)")
    .requiredOption('--user <name>', 'API user (read rights are enough without --with-update)')
    .requiredOption('--password-file <file>', 'file with the API password')
    .option('--with-update', 'lab routers only: one update left pending and cancelled (raises attempt-count by one)')
    .option('--yes', 'do not ask before the update run')
    .option('--out <file>', 'where the JSON report goes', 'dmconfirm-probe-report.json')
    .addOption(new Option('--time-scale <x>', "TEST ONLY: the simulator's time scale").default('1').hideHelp())
    .addOption(
      new Option('--source <what>', 'simulator: regenerating config/behaviours/simulator-defaults.json')
        .choices(['router', 'simulator'])
        .default('router')
        .hideHelp(),
    )
    .action(async (flags: ProbeFlags) => {
      let password: string;
      try {
        password = readFileSync(flags.passwordFile, 'utf8').replace(/\r?\n$/, '');
      } catch (error) {
        throw new CliError(`--password-file: ${(error as Error).message}`, 2);
      }
      const target = probeTarget(flags, password);
      const timeScale = Number(flags.timeScale);
      if (!(timeScale > 0)) throw new CliError('--time-scale must be > 0', 2);
      if (!flags.withUpdate) {
        console.log('read-only probe: it only reads (prints, getall, queries); safe on a production router');
      } else if (!flags.yes && !(await confirmUpdateRun(flags.host))) {
        throw new CliError('not confirmed; nothing was done', 1);
      }
      let report;
      try {
        report = await probeRouter(target, {
          withUpdate: Boolean(flags.withUpdate),
          timeScale,
          source: flags.source,
          say: (l) => console.log(l),
        });
      } catch (error) {
        if (error instanceof ProbeError) throw new CliError(error.message, 1);
        throw error;
      }
      await writeFileAtomic(flags.out, `${JSON.stringify(report, null, 2)}\n`, 0o644);
      const r = report.router;
      console.log(`router: ${r.model} (${r.boardName}), RouterOS ${r.routerosVersion}, device-mode ${r.deviceMode}`);
      if (report.update) {
        console.log(
          `attempt-count: ${report.update.attemptCountBefore} -> ${report.update.attemptCountAfter} ` +
            `(this run raised it by ${report.update.raisedAttemptCountBy})`,
        );
      }
      for (const line of report.summary) console.log(`- ${line}`);
      console.log(`report written to ${flags.out}; please share it (docs/simulator.md: "Probe your router")`);
    });
}
