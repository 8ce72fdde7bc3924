/**
 * Entry of the embedded dev server's own process (scripts/devserver-process.ts starts it): the dev server's command
 * line, plus one rule — it ends when its parent does. Started with an IPC channel, it sees `disconnect` when the parent
 * exits, however it exits (kill -9 included), so no orphan keeps the port and the history file.
 */
import { main } from '../devserver/src/cli';

process.on('disconnect', () => {
  process.kill(process.pid, 'SIGTERM');
});

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
