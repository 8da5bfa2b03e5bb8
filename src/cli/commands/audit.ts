import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { CheckpointError } from '../../audit/checkpoint.js';
import { verifyAuditFile, type AuditReport } from '../../audit/verify.js';
import { loadPublicKey, type PublicKeyInfo } from '../../trust/keys.js';
import { CliError } from '../cli-error.js';

interface VerifyFlags {
  checkpoint?: string;
  pub?: string;
  json?: boolean;
}

/** Human summary of a report, one problem per line. */
export function formatAuditReport(file: string, report: AuditReport): string[] {
  const out = [`${file}: ${report.entries} entries, head ${report.head.slice(0, 16)}…`];
  if (report.checkpoint) {
    const c = report.checkpoint;
    out.push(`checked against the checkpoint signed by agent ${c.agent} at ${c.at} over ${c.count} entries`);
  } else {
    out.push('no checkpoint given: truncation and a rewritten chain cannot be detected (use --checkpoint F --pub K)');
  }
  for (const p of report.problems) out.push(`  ${p.line > 0 ? `line ${p.line}` : 'file'}: ${p.kind}: ${p.message}`);
  out.push(report.ok ? 'OK: the chain is intact' : `TAMPERED OR DAMAGED: ${report.problems.length} problem(s)`);
  return out;
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description("Inspect the agent's tamper-evident audit log");
  audit
    .command('verify')
    .argument('<file>', "audit log (audit.jsonl in the agent's state directory)")
    .option(
      '--checkpoint <file>',
      'a signed checkpoint (compact JWS, or the JSON retained on <agent>/audit/checkpoint)',
    )
    .option('--pub <file>', "the agent's public key file (NAME.pub), needed with --checkpoint")
    .option('--json', 'print the report as JSON')
    .description(
      'Check the hash chain (edits, deletions, reordering) and, ' +
        'with a checkpoint, truncation; exit 1 if anything is wrong',
    )
    .action(async (file: string, flags: VerifyFlags) => {
      if (flags.checkpoint && !flags.pub)
        throw new CliError('--checkpoint needs --pub: a checkpoint is only as good as its signature', 2);
      let publicKey: PublicKeyInfo | undefined;
      let checkpoint: string | undefined;
      try {
        if (flags.pub) publicKey = await loadPublicKey(flags.pub);
        if (flags.checkpoint) checkpoint = await readFile(flags.checkpoint, 'utf8');
      } catch (error) {
        throw new CliError((error as Error).message, 2);
      }
      let report: AuditReport;
      try {
        report = await verifyAuditFile(file, {
          ...(publicKey ? { publicKey } : {}),
          ...(checkpoint !== undefined ? { checkpoint } : {}),
        });
      } catch (error) {
        if (error instanceof CheckpointError) throw new CliError(`checkpoint refused: ${error.message}`, 1);
        const code = (error as NodeJS.ErrnoException).code;
        throw new CliError(code ? `cannot read ${file}: ${code}` : (error as Error).message, 2);
      }
      if (flags.json) console.log(JSON.stringify(report, null, 2));
      else for (const line of formatAuditReport(file, report)) console.log(line);
      if (!report.ok) process.exitCode = 1;
    });
}
