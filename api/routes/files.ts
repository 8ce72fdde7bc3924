/**
 * Evidence files. POST /api/files takes one multipart field `file`, streams it to a temp file while hashing and
 * counting, decides its type from its bytes, and keeps it content-addressed (identical bytes once). GET
 * /api/files/:id serves it to its uploader and to whoever may see a task that cites it, after checking the bytes
 * still match their digest. Mounted before the JSON-only rule: this route reads its own body.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { actorOf, type TApiActor } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError, consoleErrorLogger } from '../errors';
import { fileStoreFromEnv, uploadMaxBytesFromEnv } from '../files/store';
import { ALLOWED_KINDS_TEXT, isInlineable, sanitizeFileName, SNIFF_HEAD_BYTES, sniffMimeType } from '../files/sniff';
import { requireVisibleTask } from '../scope';

const ZFileParams = z.object({ id: z.string().trim().min(1).max(100) });
const ZFileQuery = z.object({ inline: z.enum(['0', '1']).optional() });

/** One upload after it was read: where its bytes wait, and what they are. */
interface TReceived {
  tempPath: string;
  fileName: string;
  sha256: string;
  sizeBytes: number;
  head: Buffer;
  truncated: boolean;
}

export function filesRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;
  const fileStore = deps.fileStore ?? fileStoreFromEnv(process.env);
  const uploadMaxBytes = deps.uploadMaxBytes ?? uploadMaxBytesFromEnv(process.env);
  const logger = deps.logger ?? consoleErrorLogger;

  router.post('/files', async (req, res) => {
    const actor = actorOf(res);
    if (!req.is('multipart/form-data')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', '请以 multipart/form-data 上传文件（字段名 file）');
    }
    const received = await receive(req, uploadMaxBytes, () => fileStore.tempPath());
    if (!received || received.sizeBytes === 0) {
      if (received) await rm(received.tempPath, { force: true });
      throw AppError.validation('请选择要上传的文件（字段 file）', [
        { code: 'custom', path: ['file'], message: received ? '文件为空' : '缺少文件字段 file' },
      ]);
    }
    let kept = false;
    try {
      if (received.truncated) {
        throw new AppError('PAYLOAD_TOO_LARGE', `文件过大：单个文件不能超过 ${formatBytes(uploadMaxBytes)}`);
      }
      const mimeType = sniffMimeType(received.head, received.fileName);
      if (!mimeType) {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', `不支持的文件类型。允许上传：${ALLOWED_KINDS_TEXT}`);
      }
      await fileStore.put(received.tempPath, received.sha256);
      kept = true;
      const file = await db.storedFile.create({
        data: {
          sha256: received.sha256,
          sizeBytes: received.sizeBytes,
          mimeType,
          fileName: received.fileName,
          uploadedById: actor.userId,
        },
      });
      res.status(201).json({
        id: file.id,
        sha256: file.sha256,
        sizeBytes: file.sizeBytes,
        mimeType: file.mimeType,
        fileName: file.fileName,
      });
    } finally {
      if (!kept) await rm(received.tempPath, { force: true });
    }
  });

  router.get('/files/:id', async (req, res) => {
    const actor = actorOf(res);
    const { id } = ZFileParams.parse(req.params);
    const { inline } = ZFileQuery.parse(req.query);
    const file = await db.storedFile.findUnique({ where: { id } });
    // Not found and not yours look the same: a file id must not confirm that a file exists.
    if (!file || !(await mayRead(deps, actor, file))) throw AppError.notFound('文件不存在');
    const stored = await fileStore.get(file.sha256);
    try {
      const actual = stored ? await sha256Of(stored.path) : null;
      if (actual !== file.sha256) {
        logger.error('Stored file failed its integrity check; not served', {
          fileId: file.id,
          expected: file.sha256,
          actual: actual ?? 'missing',
        });
        throw AppError.conflict('文件校验失败，已拒绝提供');
      }
      const disposition = inline === '1' && isInlineable(file.mimeType) ? 'inline' : 'attachment';
      res.status(200).set({
        'Content-Type': file.mimeType,
        'Content-Length': String(file.sizeBytes),
        'Content-Disposition': contentDisposition(disposition, file.fileName),
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'private, no-store',
      });
      await pipeline(createReadStream(stored!.path), res);
    } finally {
      await stored?.release();
    }
  });

  return router;
}

/**
 * The uploader, or anyone who may see (scope or deputy, as GET /api/tasks/:id) a task that cites the file as
 * evidence.
 */
async function mayRead(deps: TAppDeps, actor: TApiActor, file: { id: string; uploadedById: string }): Promise<boolean> {
  if (file.uploadedById === actor.userId) return true;
  const cited = await deps.db.evidence.findMany({
    where: { fileId: file.id },
    select: { taskId: true },
    distinct: ['taskId'],
  });
  for (const { taskId } of cited) {
    try {
      await requireVisibleTask(deps.db, actor, taskId, deps.now());
      return true;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
    }
  }
  return false;
}

/**
 * Reads the multipart body: the first `file` part is streamed to a temp file through a hash; other parts are
 * drained. Resolves when the whole request was read (null when there was no `file` part). Over the limit, busboy
 * truncates the part: the caller sees `truncated` and deletes what was written.
 */
function receive(req: Request, maxBytes: number, tempPath: () => Promise<string>): Promise<TReceived | null> {
  return new Promise<TReceived | null>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // defParamCharset: browsers send `filename="会议纪要.pdf"` as raw UTF-8, which busboy would read as latin1.
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { fileSize: maxBytes, files: 1, fields: 20, parts: 21, fieldSize: 64 * 1024 },
      });
    } catch (err) {
      reject(AppError.validation(`无法解析上传内容：${(err as Error).message}`));
      return;
    }
    let upload: Promise<TReceived> | null = null;
    parser.on('file', (name: string, stream: Readable, info: busboy.FileInfo) => {
      if (name !== 'file' || upload) {
        stream.resume();
        return;
      }
      upload = writeTemp(stream, sanitizeFileName(info.filename), tempPath);
      // Handled when the body ends; a rejection before then must not count as unhandled.
      upload.catch(() => undefined);
    });
    parser.on('error', (err: Error) => {
      void upload?.then((r) => rm(r.tempPath, { force: true })).catch(() => undefined);
      reject(AppError.validation(`上传内容格式错误：${err.message}`));
    });
    parser.on('close', () => {
      if (!upload) resolve(null);
      else upload.then(resolve, reject);
    });
    req.on('aborted', () => parser.destroy(new Error('request aborted')));
    req.pipe(parser);
  });
}

async function writeTemp(stream: Readable, fileName: string, tempPath: () => Promise<string>): Promise<TReceived> {
  const hash = createHash('sha256');
  const headChunks: Buffer[] = [];
  let headLength = 0;
  let sizeBytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      if (headLength < SNIFF_HEAD_BYTES) {
        headChunks.push(chunk);
        headLength += chunk.length;
      }
      callback(null, chunk);
    },
  });
  let truncated = false;
  stream.on('limit', () => {
    truncated = true;
  });
  const path = await tempPath();
  try {
    await pipeline(stream, tap, createWriteStream(path));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return {
    tempPath: path,
    fileName,
    sha256: hash.digest('hex'),
    sizeBytes,
    head: Buffer.concat(headChunks).subarray(0, SNIFF_HEAD_BYTES),
    truncated: truncated || (stream as Readable & { truncated?: boolean }).truncated === true,
  };
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** RFC 6266: an ASCII fallback for old clients, and the exact UTF-8 name in `filename*`. */
function contentDisposition(kind: 'inline' | 'attachment', fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KB`;
  return `${n} 字节`;
}
