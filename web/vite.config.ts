/**
 * Vite build of the browser application. Run with the folder as root (`vite build web`, see package.json), so the
 * output lands in web/dist, which the API serves (api/web.ts). No plugin: Vite 8 transforms TSX with Oxc itself
 * (@vitejs/plugin-react could not be installed beside Vite 8.3 here); we only ask for React's automatic JSX runtime.
 */
import { defineConfig } from 'vite';

// The config runs in Node; web/tsconfig.json carries browser types only, so declare the one Node global used here.
declare const process: { env: Record<string, string | undefined> };

// Vite takes NODE_ENV from the environment: a build started from Jest (NODE_ENV=test) would otherwise ship React's
// development bundle (3× the bytes, warnings in the console).
if (process.env.NODE_ENV === 'test') process.env.NODE_ENV = 'production';

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Government intranet browsers (360 安全浏览器, 奇安信可信浏览器) ship Chromium cores around 86–87.
    target: 'chrome87',
    cssTarget: 'chrome87',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      // antd marks its modules "use client" (for React Server Components); meaningless in a client-only bundle.
      onLog(level, log, handler) {
        if (log.code === 'MODULE_LEVEL_DIRECTIVE') return;
        handler(level, log);
      },
      output: {
        // Vendor code changes less often than ours: separate chunks keep the browser cache warm across releases.
        codeSplitting: {
          groups: [
            {
              name: 'react',
              test: /node_modules[\\/](react|react-dom|scheduler|react-router|react-router-dom)[\\/]/,
              priority: 30,
            },
            { name: 'query', test: /node_modules[\\/]@tanstack[\\/]/, priority: 20 },
          ],
        },
      },
    },
  },
  server: {
    port: 5173,
    // The API (npm start) listens on :3000; the dev server forwards /api so cookies stay same-origin.
    proxy: { '/api': { target: process.env.API_ORIGIN ?? 'http://localhost:3000', changeOrigin: false } },
  },
});
