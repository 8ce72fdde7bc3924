import { Router } from 'express';
import type { TAppDeps } from '../deps';

/** Evidence files: POST /api/files (multipart), GET /api/files/:id. (Being built.) */
export function filesRouter(_deps: TAppDeps): Router {
  return Router();
}
