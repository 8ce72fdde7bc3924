/**
 * Evidence files through the real stack: upload (type by content, size limit, content-addressed storage), reports
 * citing an uploaded file, who may download it, the integrity check before serving, and the S3-compatible store
 * against a small in-process fake.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import { sanitizeFileName, sniffMimeType } from '../../api/files/sniff';
import { localFileStore, s3FileStore } from '../../api/files/store';
import { as, assigned, demoCast, eventually, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;
let root: string;
let app: Express;
const logged: { message: string; meta?: Record<string, unknown> }[] = [];
const LIMIT = 64 * 1024;

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  root = await mkdtemp(path.join(tmpdir(), 'zg-files-'));
  app = createApp({
    db: stack.db,
    client: stack.testEnv.client,
    fileStore: localFileStore(root),
    uploadMaxBytes: LIMIT,
    logger: { error: (message, meta) => logged.push({ message, meta }) },
  });
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
  if (root) await rm(root, { recursive: true, force: true });
});

/** A small but well-formed one-page PDF. */
function pdfBytes(text = '整改台账'): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
  ];
  let body = `%PDF-1.4\n% ${text}\n`;
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body);
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  body += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'utf8');
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function upload(user: { token: string }, bytes: Buffer, filename: string, on: Express = app) {
  return request(on)
    .post('/api/files')
    .set('Authorization', `Bearer ${user.token}`)
    .attach('file', bytes, { filename, contentType: 'application/octet-stream' });
}

function download(user: { token: string }, id: string, query = '', on: Express = app) {
  return request(on)
    .get(`/api/files/${id}${query}`)
    .set('Authorization', `Bearer ${user.token}`)
    .buffer(true)
    .parse((res, callback) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => callback(null, Buffer.concat(chunks)));
    });
}

/** Every stored object under the store's root (the temp folder excluded), and what is left in the temp folder. */
async function onDisk(): Promise<{ stored: string[]; temp: string[] }> {
  const stored: string[] = [];
  for (const dir of await readdir(root)) {
    if (dir === 'tmp') continue;
    stored.push(...(await readdir(path.join(root, dir))));
  }
  const temp = await readdir(path.join(root, 'tmp')).catch(() => []);
  return { stored: stored.sort(), temp };
}

describe('evidence files', () => {
  let taskId: string;
  let period: string;
  let pdf: Buffer;
  let fileId: string;

  beforeAll(async () => {
    const campaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId);
    const created = await as(stack.app, cast.office).post(
      `/api/campaigns/${campaignId}/tasks`,
      taskBody(cast.medicalStaff.unitId, cast.leader.userId),
    );
    taskId = created.body.tasks[0].id;
    await assigned(stack.app, cast.office, taskId);
    expect((await as(stack.app, cast.medicalStaff).post(`/api/tasks/${taskId}/acknowledge`)).status).toBe(200);
    period = await stack.currentPeriod();
    pdf = pdfBytes();
  }, 60_000);

  it('When a unit uploads a PDF, then it answers 201 with the digest of the bytes, the UTF-8 name and the sniffed type', async () => {
    const res = await upload(cast.medicalStaff, pdf, '整改台账（第一批）.pdf');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      sha256: sha256(pdf),
      sizeBytes: pdf.length,
      mimeType: 'application/pdf',
      fileName: '整改台账（第一批）.pdf',
    });
    fileId = res.body.id;
    expect(await readFile(path.join(root, sha256(pdf).slice(0, 2), sha256(pdf)))).toEqual(pdf);
  });

  it('When the same bytes are uploaded again, then a second record points at the one copy on disk', async () => {
    const res = await upload(cast.medicalStaff, pdf, 'C:\\Users\\张三\\桌面\\副本.pdf');
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe(fileId);
    expect(res.body.fileName).toBe('副本.pdf');
    expect(await onDisk()).toEqual({ stored: [sha256(pdf)], temp: [] });
  });

  it('When a text file or an executable is named .pdf, then 415 lists the allowed kinds and nothing is kept', async () => {
    const rows = await stack.db.storedFile.count();
    const text = await upload(cast.medicalStaff, Buffer.from('这不是PDF，只是文本'), '伪装.pdf');
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(text.body.error.message).toContain('PDF');
    const exe = await upload(cast.medicalStaff, Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]), 'a.pdf');
    expect(exe.status).toBe(415);
    expect(await stack.db.storedFile.count()).toBe(rows);
    expect(await onDisk()).toEqual({ stored: [sha256(pdf)], temp: [] });
  });

  it('When a file is over the limit, then 413 and nothing is kept', async () => {
    const rows = await stack.db.storedFile.count();
    const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(LIMIT + 1, 0x20)]);
    const res = await upload(cast.medicalStaff, big, '大文件.pdf');
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await stack.db.storedFile.count()).toBe(rows);
    expect(await onDisk()).toEqual({ stored: [sha256(pdf)], temp: [] });
  });

  it('When there is no file field or the file is empty, then 400 names the field', async () => {
    const none = await request(app)
      .post('/api/files')
      .set('Authorization', `Bearer ${cast.medicalStaff.token}`)
      .field('note', '无文件');
    expect(none.status).toBe(400);
    expect(none.body.error.issues[0].path).toEqual(['file']);
    const empty = await upload(cast.medicalStaff, Buffer.alloc(0), '空.pdf');
    expect(empty.status).toBe(400);
    expect(empty.body.error.issues[0].path).toEqual(['file']);
  });

  it('When a report cites the uploaded file, then its evidence row links the file and the report keeps 存在问题/下步计划', async () => {
    const res = await as(app, cast.medicalStaff).post(`/api/tasks/${taskId}/reports`, {
      period,
      progress: '已建立整改台账',
      problems: '个别处室台账更新不及时',
      nextPlan: '下月完成全部台账复核',
      evidence: [{ fileId }],
    });
    expect(res.status).toBe(200);
    const report = await stack.db.report.findFirstOrThrow({ where: { taskId }, include: { evidence: true } });
    expect(report).toMatchObject({ problems: '个别处室台账更新不及时', nextPlan: '下月完成全部台账复核' });
    expect(report.evidence).toEqual([
      expect.objectContaining({
        fileId,
        fileName: '整改台账（第一批）.pdf',
        sha256: sha256(pdf),
        sizeBytes: pdf.length,
        mimeType: 'application/pdf',
      }),
    ]);
  });

  it('When a user of another unit asks for the file, then it is 404; the office in scope gets the same bytes', async () => {
    const other = await download(cast.financeStaff, fileId);
    expect(other.status).toBe(404);
    const office = await download(cast.office, fileId);
    expect(office.status).toBe(200);
    expect(office.body).toEqual(pdf);
    expect(office.headers).toMatchObject({
      'content-type': 'application/pdf',
      'content-length': String(pdf.length),
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-store',
    });
    expect(office.headers['content-disposition']).toBe(
      `attachment; filename="_________.pdf"; filename*=UTF-8''${encodeURIComponent('整改台账（第一批）.pdf')}`,
    );
    const inline = await download(cast.office, fileId, '?inline=1');
    expect(inline.headers['content-disposition']).toMatch(/^inline; /);
    expect((await download(cast.office, 'no-such-file')).status).toBe(404);
  });

  it("When a report cites someone else's file id, then 400 names evidence.N.fileId", async () => {
    const theirs = await upload(cast.financeStaff, pdfBytes('财务处的文件'), '财务.pdf');
    expect(theirs.status).toBe(201);
    const res = await as(app, cast.medicalStaff).post(`/api/tasks/${taskId}/closure`, {
      summary: '整改完成',
      evidence: [{ fileId }, { fileId: theirs.body.id }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([expect.objectContaining({ path: ['evidence', 1, 'fileId'] })]);
    expect((await download(cast.medicalStaff, theirs.body.id)).status).toBe(404);
  });

  it('When evidence carries a javascript: URL, then 400', async () => {
    const res = await as(app, cast.medicalStaff).post(`/api/tasks/${taskId}/closure`, {
      summary: '整改完成',
      evidence: [{ fileName: 'a.pdf', sha256: 'a'.repeat(64), sizeBytes: 1, url: 'javascript:alert(1)' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
  });

  it('When one byte changes on disk, then the file is refused with 409 and the mismatch is logged', async () => {
    const onDiskPath = path.join(root, sha256(pdf).slice(0, 2), sha256(pdf));
    const damaged = Buffer.from(pdf);
    damaged[20] = damaged[20]! ^ 0xff;
    await writeFile(onDiskPath, damaged);
    const res = await download(cast.office, fileId);
    expect(res.status).toBe(409);
    expect(JSON.parse(res.body.toString('utf8'))).toEqual({
      error: { code: 'CONFLICT', message: '文件校验失败，已拒绝提供' },
    });
    expect(logged).toContainEqual(expect.objectContaining({ meta: expect.objectContaining({ fileId }) }));
  });
});

describe('S3-compatible store', () => {
  let server: Server;
  const objects = new Map<string, Buffer>();
  const seen: { method: string; authorization?: string; contentSha?: string }[] = [];

  beforeAll(async () => {
    // The fake keeps objects by path and refuses requests that are not signed or whose body digest does not match.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const authorization = req.headers.authorization;
        const contentSha = req.headers['x-amz-content-sha256'] as string | undefined;
        seen.push({ method: req.method!, authorization, contentSha });
        if (!authorization?.startsWith('AWS4-HMAC-SHA256 Credential=AKIDTEST/') || !contentSha) {
          res.writeHead(403).end('unsigned');
        } else if (req.method === 'PUT') {
          if (sha256(body) !== contentSha) res.writeHead(400).end('digest mismatch');
          else res.writeHead(200).end(void objects.set(req.url!, body));
        } else if (objects.has(req.url!)) {
          res.writeHead(200).end(objects.get(req.url!));
        } else {
          res.writeHead(404).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('When a file is uploaded to an S3 store, then it is PUT signed under its digest and served back intact', async () => {
    const { port } = server.address() as AddressInfo;
    const s3App = createApp({
      db: stack.db,
      client: stack.testEnv.client,
      fileStore: s3FileStore({
        endpoint: `http://127.0.0.1:${port}`,
        bucket: 'evidence',
        region: 'cn-north-1',
        accessKeyId: 'AKIDTEST',
        secretAccessKey: 'secret',
        tempDir: path.join(root, 's3tmp'),
      }),
    });
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);
    const res = await upload(cast.medicalStaff, png, '现场照片.png', s3App);
    expect(res.status).toBe(201);
    expect(res.body.mimeType).toBe('image/png');
    const digest = sha256(png);
    expect([...objects.keys()]).toEqual([`/evidence/files/${digest.slice(0, 2)}/${digest}`]);
    expect(seen[0]).toMatchObject({ method: 'PUT', contentSha: digest });
    expect(seen[0]!.authorization).toMatch(/SignedHeaders=[^,]*x-amz-date[^,]*, Signature=[0-9a-f]{64}$/);
    const back = await download(cast.medicalStaff, res.body.id, '', s3App);
    expect(back.status).toBe(200);
    expect(back.body).toEqual(png);
    // The downloaded copy is released once the answer was sent: the staging folder empties right after.
    await eventually(
      () => readdir(path.join(root, 's3tmp')),
      (left) => left.length === 0,
      'the S3 staging copy to be removed',
    );
  });
});

describe('type by content', () => {
  const zip = (...names: string[]) =>
    Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26), ...names.map((n) => Buffer.from(n))]);
  const ole2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]);
  const bmp = Buffer.concat([Buffer.from('BM'), Buffer.alloc(12), Buffer.from([40, 0, 0, 0]), Buffer.alloc(8)]);

  it.each([
    [
      zip('[Content_Types].xml', '_rels/.rels', 'word/document.xml'),
      '报告.docx',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ],
    [
      zip('[Content_Types].xml', 'xl/workbook.xml'),
      '台账.xlsx',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ],
    [zip('OFD.xml', 'Doc_0/Document.xml'), '发票.ofd', 'application/ofd'],
    [zip('照片/1.jpg'), '材料.zip', 'application/zip'],
    [ole2, '旧版.doc', 'application/msword'],
    [ole2, '旧版.xls', 'application/vnd.ms-excel'],
    [ole2, 'setup.msi', null],
    [bmp, '图.bmp', 'image/bmp'],
    [Buffer.from('BMW 是一个品牌'), '伪装.bmp', null],
    [Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]), '图.webp', 'image/webp'],
    [Buffer.from('GIF89a\x01\x00'), '图.gif', 'image/gif'],
    [Buffer.from([0xff, 0xd8, 0xff, 0xe0]), '图.jpg', 'image/jpeg'],
    [Buffer.from('<svg onload="alert(1)"/>'), '图.svg', null],
  ] as const)('sniffs case %# by its bytes', (head, name, expected) => {
    expect(sniffMimeType(head, name)).toBe(expected);
  });

  it('keeps only the last path part of a name, without control characters, at most 255 characters', () => {
    expect(sanitizeFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFileName('a\u0000b\r\n.pdf')).toBe('ab.pdf');
    expect(sanitizeFileName('..')).toBe('未命名文件');
    const long = sanitizeFileName(`${'长'.repeat(300)}.docx`);
    expect([...long]).toHaveLength(255);
    expect(long.endsWith('.docx')).toBe(true);
  });
});
