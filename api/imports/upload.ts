/**
 * One multipart upload held in memory (imports are capped at IMPORT_MAX_BYTES): the `file` part and the small text
 * fields beside it. A file over the cap is cut by busboy and answered 413; a body without the part, 400.
 */
import busboy from 'busboy';
import type { Request } from 'express';
import type { Readable } from 'node:stream';
import { AppError } from '../errors';
import { IMPORT_MAX_BYTES } from './read';

export interface TUpload {
  buffer: Buffer;
  fileName: string;
  fields: Record<string, string>;
}

export async function receiveUpload(req: Request, maxBytes = IMPORT_MAX_BYTES): Promise<TUpload> {
  if (!req.is('multipart/form-data')) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', '请以 multipart/form-data 上传表格文件（字段名 file）');
  }
  const received = await new Promise<TUpload | null>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { fileSize: maxBytes, files: 1, fields: 10, parts: 11, fieldSize: 4 * 1024 },
      });
    } catch (err) {
      reject(AppError.validation(`无法解析上传内容：${(err as Error).message}`));
      return;
    }
    const fields: Record<string, string> = {};
    let file: Promise<{ buffer: Buffer; fileName: string; truncated: boolean }> | null = null;
    parser.on('field', (name: string, value: string) => {
      fields[name] = value;
    });
    parser.on('file', (name: string, stream: Readable, info: busboy.FileInfo) => {
      if (name !== 'file' || file) {
        stream.resume();
        return;
      }
      file = new Promise((done, fail) => {
        const chunks: Buffer[] = [];
        let truncated = false;
        stream.on('limit', () => {
          truncated = true;
        });
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', fail);
        stream.on('end', () => done({ buffer: Buffer.concat(chunks), fileName: info.filename ?? '', truncated }));
      });
      file.catch(() => undefined);
    });
    parser.on('error', (err: Error) => reject(AppError.validation(`上传内容格式错误：${err.message}`)));
    parser.on('close', () => {
      if (!file) resolve(null);
      else
        file.then((f) => {
          if (f.truncated) {
            reject(new AppError('PAYLOAD_TOO_LARGE', `文件过大：导入文件不能超过 ${maxBytes / 1024 / 1024} MB`));
          } else resolve({ buffer: f.buffer, fileName: f.fileName, fields });
        }, reject);
    });
    req.on('aborted', () => parser.destroy(new Error('request aborted')));
    req.pipe(parser);
  });
  if (!received) {
    throw AppError.validation('请选择要导入的表格文件（字段 file）', [
      { code: 'custom', path: ['file'], message: '缺少文件字段 file' },
    ]);
  }
  return received;
}
