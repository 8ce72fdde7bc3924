import { startDevServer } from './index';

/**
 * Command line: `npm run devserver -- --port 7233 [--db-file data/temporal.db] [--time-skipping]`.
 * Also accepts the two command lines the Temporal SDK's ephemeral-server launcher passes to an `existing-path`
 * executable: `server start-dev --port P --namespace N --ip IP ... [--db-filename F]` (Temporal CLI form) and a
 * bare `P` (time-skipping test server form).
 */
export interface CliOptions {
  port: number;
  host: string;
  namespace: string;
  dbFile?: string;
  timeSkipping: boolean;
  searchAttributes: string[];
}

export function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = {
    port: 7233,
    host: '127.0.0.1',
    namespace: 'default',
    timeSkipping: false,
    searchAttributes: [],
  };
  const args = [...argv];
  if (args.length >= 1 && /^\d+$/.test(args[0])) {
    // Test-server form: the port alone, and it must serve the TestService.
    opts.port = Number(args[0]);
    opts.timeSkipping = true;
    return opts;
  }
  if (args[0] === 'server' && args[1] === 'start-dev') args.splice(0, 2);
  const takesValue = new Set([
    '--port',
    '-p',
    '--namespace',
    '-n',
    '--ip',
    '--db-file',
    '--db-filename',
    '-f',
    '--log-format',
    '--log-level',
    '--dynamic-config-value',
    '--ui-port',
    '--search-attribute',
    '--ui-ip',
    '--metrics-port',
  ]);
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].includes('=') && args[i].startsWith('--') ? args[i].split(/=(.*)/s) : [args[i]];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = args[++i];
      if (v === undefined) throw new Error(`missing value for ${flag}`);
      return v;
    };
    switch (flag) {
      case '--port':
      case '-p':
        opts.port = Number(value());
        break;
      case '--namespace':
      case '-n':
        opts.namespace = value();
        break;
      case '--ip':
        opts.host = value();
        break;
      case '--db-file':
      case '--db-filename':
      case '-f':
        opts.dbFile = value();
        break;
      case '--time-skipping':
        opts.timeSkipping = true;
        break;
      case '--search-attribute':
        opts.searchAttributes.push(value());
        break;
      case '--headless':
        break;
      default:
        // Options of the real CLI without meaning here (log format/level, dynamic config, UI port) are accepted.
        if (takesValue.has(flag)) value();
    }
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error('invalid --port');
  return opts;
}

export async function main(argv: string[]): Promise<void> {
  const opts = parseArgs(argv);
  const server = await startDevServer({
    port: opts.port,
    host: opts.host,
    namespace: opts.namespace,
    dbFile: opts.dbFile,
    timeSkipping: opts.timeSkipping,
    searchAttributes: Object.fromEntries(
      opts.searchAttributes.map((kv) => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i), kv.slice(i + 1)];
      }),
    ),
    log: (msg) => process.stderr.write(`${msg}\n`),
  });
  process.stdout.write(`Temporal dev server ready at ${server.address}\n`);
  const shutdown = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

// tsx does not always set require.main for its entry file, hence the argv check.
if (require.main === module || /[\\/]cli\.ts$/.test(process.argv[1] ?? '')) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  });
}
