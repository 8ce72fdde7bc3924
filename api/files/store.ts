/**
 * Where evidence bytes live, addressed by their SHA-256: identical uploads are stored once, and a file's address is
 * also its checksum. Two stores: local disk (`<DATA_DIR>/files/<aa>/<sha256>`, the default) and any S3-compatible
 * object store (`FILE_STORE=s3`), spoken to with fetch and AWS Signature V4 so no SDK is needed.
 * Uploads are first streamed to a local temp file (hashing as they go); only verified, accepted bytes are put.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';

export interface TStoredBytes {
  /** A local file holding the bytes. */
  path: string;
  /** Frees what `get` made (a downloaded copy); a no-op for the local store. */
  release(): Promise<void>;
}

export interface TFileStore {
  /** A fresh path for an upload in progress, on the same disk as the store where possible (so `put` can rename). */
  tempPath(): Promise<string>;
  /** Takes the verified temp file in under its digest; consumes the temp file. */
  put(tempPath: string, sha256: string): Promise<void>;
  /** The bytes stored under the digest, or null when they are missing. */
  get(sha256: string): Promise<TStoredBytes | null>;
}

const SHA256_RE = /^[0-9a-f]{64}$/;

/** `<aa>/<sha256>`: the first byte fans files out over 256 folders. */
export function objectKey(sha256: string): string {
  if (!SHA256_RE.test(sha256)) throw new Error(`not a SHA-256 digest: ${sha256}`);
  return `${sha256.slice(0, 2)}/${sha256}`;
}

// ------------------------------------------------------------------------------------------------- local disk

export function localFileStore(root: string): TFileStore {
  const tmp = path.join(root, 'tmp');
  return {
    async tempPath() {
      await mkdir(tmp, { recursive: true });
      return path.join(tmp, `${randomUUID()}.part`);
    },
    async put(tempPath, sha256) {
      const target = path.join(root, objectKey(sha256));
      await mkdir(path.dirname(target), { recursive: true });
      // rename is atomic: a reader sees the old complete file or the new one, never half of one. Identical bytes
      // replace identical bytes (and restore a copy damaged on disk).
      await rename(tempPath, target);
    },
    async get(sha256) {
      const target = path.join(root, objectKey(sha256));
      try {
        if (!(await stat(target)).isFile()) return null;
      } catch {
        return null;
      }
      return { path: target, release: async () => {} };
    },
  };
}

// ------------------------------------------------------------------------------------------------ S3-compatible

export interface TS3Config {
  /** `https://s3.example.com` (path-style addressing: `<endpoint>/<bucket>/<key>`). */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Key prefix inside the bucket. */
  prefix?: string;
  /** Where uploads and downloads are staged locally. */
  tempDir?: string;
}

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** RFC 3986 encoding, as Signature V4 wants it (encodeURIComponent leaves !'()* alone). */
function uriEncode(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/**
 * AWS Signature Version 4 headers for one request with no query string. `payloadSha256` is the body's digest (the
 * store always knows it: uploads are hashed on the way in), so the body is signed too.
 */
export function signV4(input: {
  method: string;
  url: URL;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  payloadSha256: string;
  now: Date;
  headers?: Record<string, string>;
}): Record<string, string> {
  const amzDate = input.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(input.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v.trim()])),
    host: input.url.host,
    'x-amz-content-sha256': input.payloadSha256,
    'x-amz-date': amzDate,
  };
  const names = Object.keys(headers).sort();
  const canonicalRequest = [
    input.method,
    input.url.pathname,
    '',
    ...names.map((n) => `${n}:${headers[n]}`),
    '',
    names.join(';'),
    input.payloadSha256,
  ].join('\n');
  const scope = `${day}/${input.region}/s3/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${input.secretAccessKey}`, day), input.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  const { host: _host, ...rest } = headers;
  return {
    ...rest,
    authorization: `AWS4-HMAC-SHA256 Credential=${input.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

export function s3FileStore(config: TS3Config): TFileStore {
  const tmp = config.tempDir ?? path.join(tmpdir(), 'zhenggai-uploads');
  const endpoint = config.endpoint.replace(/\/+$/, '');
  const urlOf = (sha256: string) => {
    const key = `${config.prefix ?? 'files/'}${objectKey(sha256)}`;
    return new URL(`${endpoint}/${uriEncode(config.bucket)}/${key.split('/').map(uriEncode).join('/')}`);
  };
  const sign = (method: string, url: URL, payloadSha256: string, headers?: Record<string, string>) =>
    signV4({ method, url, payloadSha256, headers, now: new Date(), ...config });
  return {
    async tempPath() {
      await mkdir(tmp, { recursive: true });
      return path.join(tmp, `${randomUUID()}.part`);
    },
    async put(tempPath, sha256) {
      try {
        // Read whole: uploads are bounded (UPLOAD_MAX_BYTES), and a Buffer body needs no chunked-encoding support
        // from the object store.
        const body = await readFile(tempPath);
        const url = urlOf(sha256);
        const headers = sign('PUT', url, sha256, { 'content-type': 'application/octet-stream' });
        const res = await fetch(url, { method: 'PUT', headers, body });
        if (!res.ok) throw new Error(`S3 PUT ${url.pathname} answered ${res.status}: ${await res.text()}`);
      } finally {
        await rm(tempPath, { force: true });
      }
    },
    async get(sha256) {
      const url = urlOf(sha256);
      const res = await fetch(url, { headers: sign('GET', url, EMPTY_SHA256) });
      if (res.status === 404) return null;
      if (!res.ok || !res.body) throw new Error(`S3 GET ${url.pathname} answered ${res.status}`);
      await mkdir(tmp, { recursive: true });
      const local = path.join(tmp, `${randomUUID()}.get`);
      await pipeline(Readable.fromWeb(res.body), createWriteStream(local));
      return { path: local, release: () => rm(local, { force: true }) };
    },
  };
}

// ------------------------------------------------------------------------------------------------ configuration

export const ZFileStoreEnv = z.discriminatedUnion('FILE_STORE', [
  z.object({ FILE_STORE: z.literal('local'), DATA_DIR: z.string().min(1).default('data') }),
  z.object({
    FILE_STORE: z.literal('s3'),
    S3_ENDPOINT: z.url(),
    S3_BUCKET: z.string().min(1),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().min(1),
    S3_SECRET_ACCESS_KEY: z.string().min(1),
    DATA_DIR: z.string().min(1).default('data'),
  }),
]);

/** The store the environment asks for: local under `<DATA_DIR>/files` unless `FILE_STORE=s3`. */
export function fileStoreFromEnv(env: Record<string, string | undefined>): TFileStore {
  const parsed = ZFileStoreEnv.parse({ ...env, FILE_STORE: env.FILE_STORE || 'local' });
  if (parsed.FILE_STORE === 'local') return localFileStore(path.resolve(parsed.DATA_DIR, 'files'));
  return s3FileStore({
    endpoint: parsed.S3_ENDPOINT,
    bucket: parsed.S3_BUCKET,
    region: parsed.S3_REGION,
    accessKeyId: parsed.S3_ACCESS_KEY_ID,
    secretAccessKey: parsed.S3_SECRET_ACCESS_KEY,
    tempDir: path.resolve(parsed.DATA_DIR, 'files', 'tmp'),
  });
}

/** Default upload limit: 50 MB, or `UPLOAD_MAX_BYTES`. */
export function uploadMaxBytesFromEnv(env: Record<string, string | undefined>): number {
  return z.coerce
    .number()
    .int()
    .positive()
    .default(50 * 1024 * 1024)
    .parse(env.UPLOAD_MAX_BYTES || undefined);
}
