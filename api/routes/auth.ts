import { Router } from 'express';
import type { TAppDeps } from '../deps';

/** Sign-in for the browser: POST /api/auth/login, POST /api/auth/logout, GET /api/auth/me. (Being built.) */
export function authRouter(_deps: TAppDeps): Router {
  return Router();
}
