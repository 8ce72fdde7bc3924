/**
 * The browser application (web/, built by Vite into web/dist) served by the API process itself: hashed assets with a
 * long cache, index.html never cached, and every other GET outside /api answered with index.html so that the
 * client-side routes (/tasks/…, /stats) survive a reload. Nothing is fetched from elsewhere at run time.
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';

export const WEB_DIST = path.resolve(__dirname, '..', 'web', 'dist');

export function webRouter(dist: string = WEB_DIST): Router {
  const router = Router();
  const index = path.join(dist, 'index.html');
  router.use(
    '/assets',
    express.static(path.join(dist, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }),
  );
  router.use(express.static(dist, { index: false, maxAge: 0 }));
  router.get(/^(?!\/api(\/|$)).*/, (req, res, next) => {
    if (!req.accepts('html')) {
      next();
      return;
    }
    if (!fs.existsSync(index)) {
      res
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('网页应用尚未构建：请运行 npm run build:web（npm ci 会自动构建）。');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
