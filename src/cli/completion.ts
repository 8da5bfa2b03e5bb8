/**
 * Shell completion scripts, generated from the command tree itself so they never drift:
 * sub-commands and options at every level (`dmconfirm trust s<TAB>`, `status --w<TAB>`),
 * file names elsewhere. zsh uses the bash function through bashcompinit.
 */
import type { Command } from 'commander';

interface Node {
  path: string;
  subs: string[];
  options: string[];
}

function nodes(command: Command, path = ''): Node[] {
  const visible = command.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
  const options = [...command.options.map((o) => o.long).filter((l): l is string => l !== undefined), '--help'];
  if (!path) options.push('--version');
  const here = { path, subs: visible.map((c) => c.name()), options: [...new Set(options)] };
  return [here, ...visible.flatMap((c) => nodes(c, path ? `${path} ${c.name()}` : c.name()))];
}

export function bashCompletion(program: Command): string {
  const all = nodes(program);
  // Bash has no empty key: the root's path is the program's name.
  const entries = (pick: (n: Node) => string[]) =>
    all.map((n) => `    ["${['dmconfirm', n.path].filter(Boolean).join(' ')}"]="${pick(n).join(' ')}"`).join('\n');
  return `# dmconfirm completion for bash (and zsh through bashcompinit)
# bash: source <(dmconfirm completion bash), or save it as /etc/bash_completion.d/dmconfirm
_dmconfirm() {
  local -A subs=(
${entries((n) => n.subs)}
  )
  local -A opts=(
${entries((n) => n.options)}
  )
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="dmconfirm" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ " \${subs[$path]} " == *" $w "* ]]; then path="$path $w"; fi
  done
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "\${opts[$path]}" -- "$cur"))
  elif [[ -n "\${subs[$path]}" ]]; then
    COMPREPLY=($(compgen -W "\${subs[$path]}" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _dmconfirm dmconfirm
`;
}

export function zshCompletion(program: Command): string {
  return `# dmconfirm completion for zsh: source <(dmconfirm completion zsh) in ~/.zshrc
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`;
}

export function fishCompletion(program: Command): string {
  const all = nodes(program);
  const lines = [
    '# dmconfirm completion for fish: dmconfirm completion fish > ~/.config/fish/completions/dmconfirm.fish',
    'complete -c dmconfirm -f',
  ];
  for (const n of all) {
    const words = n.path ? n.path.split(' ') : [];
    // At this node: every word of its path typed, and none of its sub-commands yet.
    const seen = words.map((w) => `__fish_seen_subcommand_from ${w}`);
    const notDeeper = n.subs.length > 0 ? [`not __fish_seen_subcommand_from ${n.subs.join(' ')}`] : [];
    const condition = words.length === 0 ? ['__fish_use_subcommand'] : [...seen, ...notDeeper];
    const cond = condition.join('; and ');
    if (n.subs.length > 0) lines.push(`complete -c dmconfirm -n '${cond}' -a '${n.subs.join(' ')}'`);
    for (const option of n.options)
      lines.push(
        `complete -c dmconfirm -n ` +
          `'${words.length === 0 ? '__fish_use_subcommand' : seen.join('; and ')}' -l ${option.slice(2)}`,
      );
  }
  return `${lines.join('\n')}\n`;
}
