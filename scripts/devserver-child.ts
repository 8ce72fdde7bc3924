/**
 * Entry of the embedded dev server's own process (scripts/devserver-process.ts starts it): the dev server's command
 * line, plus one rule — it ends when its parent does. Started with an IPC channel, it sees `disconnect` when the parent
 * exits, however it exits (kill -9 included), so no orphan keeps the port and the history file.
 */
import v8 from 'node:v8';
import { main } from '../devserver/src/cli';
import { collectGarbage } from '../devserver/src/gc';

process.on('disconnect', () => {
  process.kill(process.pid, 'SIGTERM');
});

// The parent may ask for this process's memory (the soak run samples it): live heap after a full collection, so that
// growth means something is held, not that the collector has not run yet.
process.on('message', (msg: unknown) => {
  if ((msg as { type?: unknown } | null)?.type !== 'memory') return;
  const collected = collectGarbage();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  // The committed size of each of V8's heap spaces: which one holds pages the live heap does not need.
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
  process.send?.({ type: 'memory', rss, heapUsed, heapTotal, external, spaces, collected });
});

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
