import { Router } from 'express';
import type { TAppDeps } from '../deps';

export function opinionsRouter(_deps: TAppDeps): Router {
  return Router();
}
