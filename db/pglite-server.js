// Runs an in-process PostgreSQL (PGlite) on a free loopback port in its own Node process, prints
// `{"url": "..."}` on one stdout line once it accepts connections, and stops when its stdin closes (so it never
// outlives the process that started it). A separate process because PGlite loads its parts with dynamic import(),
// which Jest's module sandbox cannot run. Started by db/pglite.ts.
'use strict';
const { PGlite } = require('@electric-sql/pglite');
const { PGLiteSocketServer } = require('@electric-sql/pglite-socket');

const fs = require('fs');
const os = require('os');
const path = require('path');

// initdb is most of PGlite's start (tens of seconds on a busy 2-core machine): keep a freshly initialised data
// directory as a tarball, per PGlite version, and start later instances from it.
const PGLITE_VERSION = JSON.parse(
  fs.readFileSync(path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json'), 'utf8'),
).version;
const CACHE = path.join(os.tmpdir(), `zhenggai-pglite-${PGLITE_VERSION}-initdb.tar`);

async function create() {
  if (fs.existsSync(CACHE)) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([fs.readFileSync(CACHE)]) });
    } catch {
      // A damaged cache (e.g. an interrupted write elsewhere): start from scratch and write it again.
      fs.rmSync(CACHE, { force: true });
    }
  }
  const db = await PGlite.create();
  try {
    const dump = Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer());
    const tmp = `${CACHE}.${process.pid}`;
    fs.writeFileSync(tmp, dump);
    fs.renameSync(tmp, CACHE);
  } catch {
    // The cache only saves time.
  }
  return db;
}

async function main() {
  const db = await create();
  // Port 0: the OS picks a free port, so parallel test workers never collide. A pg pool opens several connections;
  // the server queues their queries on the one instance (clients should still use one: see connection_limit).
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
  await server.start();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    await db.close();
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.on('SIGTERM', stop);
  process.stdin.resume();
  process.stdout.write(
    JSON.stringify({
      url: `postgresql://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable&connection_limit=1`,
    }) + '\n',
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
