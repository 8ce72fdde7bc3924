#!/usr/bin/env node
'use strict';
// Starts the dev server; accepts the Temporal CLI `server start-dev ...` form and the test server's bare `PORT` form.
const path = require('node:path');
const root = path.resolve(__dirname, '..', '..');
require(require.resolve('tsx/cjs', { paths: [root] }));
require('../src/cli.ts')
  .main(process.argv.slice(2))
  .catch((err) => {
    process.stderr.write(`${(err && err.message) || String(err)}\n`);
    process.exit(1);
  });
