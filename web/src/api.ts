/**
 * The one way the screens talk to the server: same-origin fetch with the session cookie, JSON both ways, the CSRF
 * token on every write, and every failure turned into an ApiError whose `text` is Chinese (texts.ts by error code;
 * the server's own message kept as `detail`).
 */
import { z } from 'zod/mini';
import { ERROR_TEXT, say } from './texts';

export const ZMe = z.object({
  id: z.string(),
  name: z.string(),
  username: z.optional(z.string()),
  role: z.string(),
  unitId: z.nullable(z.optional(z.string())),
  unitName: z.nullable(z.optional(z.string())),
});
export type TMe = z.infer<typeof ZMe>;

export const ZSession = z.object({ user: ZMe, csrfToken: z.string() });
export type TSession = z.infer<typeof ZSession>;

const ZErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.optional(z.string()),
    issues: z.optional(z.array(z.object({ path: z.optional(z.array(z.unknown())), message: z.optional(z.string()) }))),
  }),
});

export const ZUploaded = z.object({
  id: z.string(),
  sha256: z.string(),
  sizeBytes: z.number(),
  mimeType: z.string(),
  fileName: z.string(),
});
export type TUploaded = z.infer<typeof ZUploaded>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    /** The Chinese sentence for the user. */
    readonly text: string,
    /** The server's own message (shown beneath, for the specifics: which field, which state). */
    readonly detail: string | undefined,
    readonly retryAfterSeconds?: number,
  ) {
    super(detail ? `${text}：${detail}` : text);
    this.name = 'ApiError';
  }
}

/** Kept in memory only: it comes with /api/auth/me or the login answer and goes with every write. */
let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when any request answers 401, so the app can forget the session and show the login page. */
let onUnauthenticated: (() => void) | null = null;
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

type TQuery = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: TQuery): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function toError(res: Response): Promise<ApiError> {
  let code = res.status === 401 ? 'UNAUTHENTICATED' : res.status === 404 ? 'NOT_FOUND' : 'INTERNAL';
  let detail: string | undefined;
  try {
    const parsed = ZErrorBody.safeParse(await res.json());
    if (parsed.success) {
      code = parsed.data.error.code;
      detail = parsed.data.error.message;
      const issues = parsed.data.error.issues ?? [];
      if (issues.length > 0) {
        detail = issues.map((i) => `${(i.path ?? []).join('.') || '内容'}：${i.message ?? ''}`).join('；');
      }
    }
  } catch {
    // Not JSON (a proxy's error page): the status code alone decides the message.
  }
  const retry = Number(res.headers.get('Retry-After'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  // A 429 from sign-in is the lock after failed attempts (minutes); from a write, the rate limit (seconds).
  const signIn = code === 'TOO_MANY_REQUESTS' && new URL(res.url, 'http://x').pathname.endsWith('/auth/login');
  let text = say(ERROR_TEXT, signIn ? 'TOO_MANY_SIGN_INS' : code);
  if (code === 'TOO_MANY_REQUESTS' && retryAfter) {
    text = `${text}（约 ${retryAfter >= 60 ? `${Math.ceil(retryAfter / 60)} 分钟` : `${retryAfter} 秒`}后）`;
  }
  // The Chinese text already says it; repeating an identical server message adds nothing.
  return new ApiError(res.status, code, text, detail && detail !== text ? detail : undefined, retryAfter);
}

export interface TRequestOptions {
  method?: string;
  body?: unknown;
  query?: TQuery;
  /** Skip the 401 → login redirect (the login call itself, the "who am I" probe). */
  quiet401?: boolean;
}

export async function request<T>(path: string, options: TRequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) {
    body = options.body;
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const write = method !== 'GET' && method !== 'HEAD';
  // A page renders while its session is still being confirmed (see RequireAuth): a write made in that moment waits
  // for the confirmation, which brings the CSRF token, instead of going out without it and being refused.
  if (write && !csrfToken && sessionCheck) await sessionCheck.catch(() => undefined);
  if (write && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(withQuery(path, options.query), { method, headers, body, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', say(ERROR_TEXT, 'NETWORK'), undefined);
  }
  if (!res.ok) {
    const error = await toError(res);
    if (res.status === 401 && !options.quiet401) {
      setSignedInHint(false);
      onUnauthenticated?.();
    }
    throw error;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, query?: TQuery) => request<T>(path, { query }),
  post: <T>(path: string, body: unknown = {}) => request<T>(path, { method: 'POST', body }),
  put: <T>(path: string, body: unknown = {}) => request<T>(path, { method: 'PUT', body }),
  patch: <T>(path: string, body: unknown = {}) => request<T>(path, { method: 'PATCH', body }),
  del: <T>(path: string) => request<T>(path, { method: 'DELETE' }),
};

/** The file name a download answer gives (RFC 5987 `filename*=UTF-8''…` first, then plain `filename=`). */
export function fileNameOf(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // A malformed escape: fall through to the plain name.
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(disposition);
  return plain ? plain[1].trim() : fallback;
}

/**
 * Fetches a file the server builds (台账, 通报, 督办单) and hands it to the browser as a download under the server's
 * file name. Fetched rather than linked so a refusal (403, 404) is shown as a message instead of saved as a file.
 */
export async function downloadFile(path: string, fallbackName: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', say(ERROR_TEXT, 'NETWORK'), undefined);
  }
  if (!res.ok) {
    const error = await toError(res);
    if (res.status === 401) {
      setSignedInHint(false);
      onUnauthenticated?.();
    }
    throw error;
  }
  const name = fileNameOf(res.headers.get('Content-Disposition'), fallbackName);
  const url = URL.createObjectURL(await res.blob());
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    // The click has handed the blob to the download manager; keep the URL a moment for slow browsers.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
  return name;
}

/**
 * A hint (not a secret: the session itself is the httpOnly cookie) that this browser signed in. Without it the app
 * shows the login page at once instead of probing /api/auth/me, whose 401 Chrome would log as a console error on
 * every first visit.
 */
const SIGNED_IN_HINT = 'zg.signedIn';
function setSignedInHint(on: boolean): void {
  try {
    if (on) localStorage.setItem(SIGNED_IN_HINT, '1');
    else localStorage.removeItem(SIGNED_IN_HINT);
  } catch {
    // Storage disabled (private mode policies): the probe just happens every time.
  }
}
export function hasSignedInHint(): boolean {
  try {
    return localStorage.getItem(SIGNED_IN_HINT) === '1';
  } catch {
    return true;
  }
}

/** The session check in flight, if any: writes wait for it (it brings the CSRF token). */
let sessionCheck: Promise<TMe | null> | null = null;

/** Who is signed in, or null; also picks up the CSRF token for later writes. */
export function fetchMe(): Promise<TMe | null> {
  const check = confirmSession();
  sessionCheck = check;
  const clear = () => {
    if (sessionCheck === check) sessionCheck = null;
  };
  // Both outcomes clear it; the failure itself is reported to the caller of fetchMe, not here.
  check.then(clear, clear);
  return check;
}

async function confirmSession(): Promise<TMe | null> {
  if (!hasSignedInHint()) return null;
  try {
    const session = ZSession.parse(await request<unknown>('/api/auth/me', { quiet401: true }));
    setCsrfToken(session.csrfToken);
    return session.user;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      setSignedInHint(false);
      return null;
    }
    throw e;
  }
}

export async function login(username: string, password: string): Promise<TMe> {
  const session = ZSession.parse(
    await request<unknown>('/api/auth/login', { method: 'POST', body: { username, password }, quiet401: true }),
  );
  setCsrfToken(session.csrfToken);
  setSignedInHint(true);
  return session.user;
}

export async function logout(): Promise<void> {
  try {
    await request<void>('/api/auth/logout', { method: 'POST', quiet401: true });
  } finally {
    setCsrfToken(null);
    setSignedInHint(false);
  }
}

/** Uploads one evidence file (multipart, field `file`); the server computes the hash and checks the type. */
export async function uploadFile(file: File): Promise<TUploaded> {
  const form = new FormData();
  form.append('file', file, file.name);
  return ZUploaded.parse(await request<unknown>('/api/files', { method: 'POST', body: form }));
}

/** The Chinese message for any thrown value (ApiError text plus the server's detail). */
export function errorMessage(e: unknown): string {
  // The server's own message is added only when it is written for people in Chinese (most rule refusals are worded
  // for developers and logs); the code's Chinese text always leads.
  if (e instanceof ApiError) return e.detail && /[\u4e00-\u9fff]/.test(e.detail) ? `${e.text}（${e.detail}）` : e.text;
  return '操作失败，请稍后再试';
}
