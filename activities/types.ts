import type { Db } from '../db/client';

export interface ActivityDeps {
  db: Db;
}

/** Who a notification is for: one user, every user of a unit, or the users of a unit holding a role. */
export interface TRecipient {
  userId?: string;
  unitId?: string;
  role?: string;
}

/** Business errors that a retry cannot fix; listed as non-retryable where workflows proxy these activities. */
export class ValidationError extends Error {
  override name = 'ValidationError';
}
