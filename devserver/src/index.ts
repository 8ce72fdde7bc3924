import { VirtualClock } from './clock';
import { Engine } from './engine';
import { startGrpcServer } from './server';
import { Store } from './store';

export interface DevServerOptions {
  /** 0 = random free port; default 7233. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 'default' (the 'default' namespace always exists too). */
  namespace?: string;
  /** Persistent SQLite file; absent = in memory. */
  dbFile?: string;
  /** Serve the TestService and skip time while nothing is outstanding. */
  timeSkipping?: boolean;
  log?: (msg: string) => void;
  /** Custom search attributes to declare, name → type (Keyword, Text, Int, Double, Bool, Datetime, KeywordList). */
  searchAttributes?: Record<string, string>;
}

export interface DevServer {
  /** 'host:port' */
  address: string;
  port: number;
  namespace: string;
  stop(): Promise<void>;
}

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const host = opts.host ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const log = opts.log ?? (() => undefined);
  const clock = new VirtualClock(!!opts.timeSkipping);
  const store = opts.dbFile ? new Store(opts.dbFile) : undefined;
  const engine = new Engine({ namespace, clock, store, log });
  engine.load();
  for (const [name, type] of Object.entries(opts.searchAttributes ?? {})) engine.declareSearchAttribute(name, type);
  const { server, port } = await startGrpcServer({
    engine,
    host,
    port: opts.port ?? 7233,
    timeSkipping: !!opts.timeSkipping,
    log,
  });
  log(`Temporal dev server listening on ${host}:${port} (namespace ${namespace}${store ? `, db ${opts.dbFile}` : ''})`);
  let stopped = false;
  return {
    address: `${host}:${port}`,
    port,
    namespace,
    async stop() {
      if (stopped) return;
      stopped = true;
      engine.stop();
      clock.stop();
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
      store?.close();
    },
  };
}
