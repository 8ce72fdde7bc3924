/**
 * The domain's only way to refuse: a value, never a throw. Callers (workflow validators, the API) map `type` to
 * their own error channel (ApplicationFailure type, HTTP status).
 */
export type DomainErrorType = 'InvalidTransition' | 'NotAuthorized' | 'ValidationError' | 'NotFound';

export interface DomainError {
  type: DomainErrorType;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: DomainError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function err<T = never>(type: DomainErrorType, message: string): Result<T> {
  return { ok: false, error: { type, message } };
}

export const invalidTransition = <T = never>(message: string): Result<T> => err('InvalidTransition', message);
export const notAuthorized = <T = never>(message: string): Result<T> => err('NotAuthorized', message);
export const validationError = <T = never>(message: string): Result<T> => err('ValidationError', message);
export const notFound = <T = never>(message: string): Result<T> => err('NotFound', message);
