// Runs after `npm ci`: generates the Prisma clients (offline; see prisma.config.ts) when the schema exists.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const generator = path.join(root, 'scripts', 'prisma-generate.js');
if (fs.existsSync(generator)) {
  execFileSync(process.execPath, [generator], { stdio: 'inherit', cwd: root });
}
