// Runs after `npm ci`: generates the Prisma clients (offline; see prisma.config.ts) when the schema exists, then
// builds the browser application (web/ → web/dist) so that `npm ci && npm start` serves it with no further step.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const generator = path.join(root, 'scripts', 'prisma-generate.js');
if (fs.existsSync(generator)) {
  execFileSync(process.execPath, [generator], { stdio: 'inherit', cwd: root });
}

// Skipped when web/ is not there yet (a Docker layer that installs before copying the sources) or when Vite is not
// installed (`npm ci --omit=dev`); `npm run build:web` builds it later in those cases.
const webConfig = path.join(root, 'web', 'vite.config.ts');
const viteBin = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
if (fs.existsSync(webConfig) && fs.existsSync(viteBin)) {
  execFileSync(process.execPath, [viteBin, 'build', 'web', '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
} else if (fs.existsSync(webConfig)) {
  console.warn('postinstall: Vite is not installed; the web application was not built (npm run build:web).');
}
