import { Router } from 'express';
import type { TAppDeps } from '../deps';

export function directoryRouter(_deps: TAppDeps): Router {
  return Router();
}
