/** Progress notices (通报): see api/notices/. */
import { Router } from 'express';
import type { TAppDeps } from '../deps';

export function noticesRouter(_deps: TAppDeps): Router {
  return Router();
}
