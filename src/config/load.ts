import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { configSchema, type Config } from './schema.js';
import { applyEnvOverrides } from './env-override.js';
import { ConfigError, problemsFrom } from './problems.js';
import { withSecretContext } from './secret.js';

// What loadConfig throws; the problem types live apart so env-override.ts reports them without importing the loader.
export { ConfigError, type ConfigProblem } from './problems.js';

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: Config;
  file: string;
  envOverrides: string[];
}

/** Reads, overrides from the environment, validates and resolves secrets. Throws ConfigError. */
export function loadConfig(file: string, options: LoadOptions = {}): LoadedConfig {
  const path = resolve(file);
  const env = options.env ?? process.env;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [
      { path: '(file)', message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` },
    ]);
  }
  return parseConfigText(text, path, env);
}

export function parseConfigText(text: string, path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      path,
      doc.errors.map((e) => ({ path: '(yaml)', message: e.message.split('\n')[0] ?? e.message })),
    );
  }
  let js: unknown;
  try {
    js = doc.toJS(); // throws on an unresolved alias or an alias bomb
  } catch (error) {
    throw new ConfigError(path, [{ path: '(yaml)', message: error instanceof Error ? error.message : String(error) }]);
  }
  const { config: raw, applied, refused, sources } = applyEnvOverrides(js, env);
  if (refused.length > 0) throw new ConfigError(path, refused);
  const result = withSecretContext({ baseDir: dirname(path), credentialsDirectory: env.CREDENTIALS_DIRECTORY }, () =>
    configSchema.safeParse(raw),
  );
  if (!result.success) {
    // A value from the environment is fixed there: say which variable set it.
    const problems = problemsFrom(result.error, raw).map((p) => {
      const from = sources.get(p.path);
      return from ? { ...p, message: `${p.message} (set by ${from})` } : p;
    });
    throw new ConfigError(path, problems);
  }
  return { config: resolvePaths(result.data, dirname(path)), file: path, envOverrides: applied };
}

/** Relative file paths in the configuration mean: relative to the configuration file. */
function resolvePaths(config: Config, baseDir: string): Config {
  const at = (p: string | undefined) => (p === undefined ? undefined : resolve(baseDir, p));
  return {
    ...config,
    agent: {
      ...config.agent,
      stateDir: resolve(baseDir, config.agent.stateDir),
      trustRoot: resolve(baseDir, config.agent.trustRoot),
    },
    mqtt: { ...config.mqtt, ca: at(config.mqtt.ca), cert: at(config.mqtt.cert) },
  };
}
