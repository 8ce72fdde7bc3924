/**
 * Content-type detection by the file's own first bytes (magic numbers), never by the name or the browser's claim:
 * an executable renamed `.pdf` stays an executable. The extension only tells apart formats that share a container
 * (OLE2 holds both .doc and .xls; ZIP holds .docx, .xlsx, .ofd and plain archives).
 */

/** How many leading bytes the sniffer looks at (ZIP entry names of Office files sit near the start). */
export const SNIFF_HEAD_BYTES = 8192;

export const MIME = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ofd: 'application/ofd',
  zip: 'application/zip',
} as const;

export type TSniffedMime = (typeof MIME)[keyof typeof MIME];

/** What the 415 answer lists: the kinds a user recognises, in Chinese. */
export const ALLOWED_KINDS_TEXT =
  'PDF、图片（PNG、JPEG、GIF、BMP、WebP）、Word（.doc/.docx）、Excel（.xls/.xlsx）、OFD、ZIP';

/** Types a browser may show inline (`?inline=1`); everything else is only ever an attachment. */
export function isInlineable(mimeType: string): boolean {
  return mimeType === MIME.pdf || mimeType.startsWith('image/');
}

function startsWith(head: Buffer, bytes: readonly number[], offset = 0): boolean {
  if (head.length < offset + bytes.length) return false;
  return bytes.every((b, i) => head[offset + i] === b);
}

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase();
}

/** The header sizes BMP's DIB header can have: `BM` alone is too weak a signature (any text may start with it). */
const BMP_DIB_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

/**
 * The MIME type of a file from its first bytes (`head`, up to SNIFF_HEAD_BYTES) and its name, or null when it is not
 * a kind the product accepts as evidence.
 */
export function sniffMimeType(head: Buffer, fileName: string): TSniffedMime | null {
  const ext = extensionOf(fileName);
  if (startsWith(head, ascii('%PDF-'))) return MIME.pdf;
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return MIME.png;
  if (startsWith(head, [0xff, 0xd8, 0xff])) return MIME.jpeg;
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return MIME.gif;
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return MIME.webp;
  if (startsWith(head, ascii('BM')) && head.length >= 18 && BMP_DIB_SIZES.has(head.readUInt32LE(14))) return MIME.bmp;
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    // OLE2 also carries .msi installers and .ppt: only the two Office kinds the product accepts pass.
    if (ext === 'doc') return MIME.doc;
    if (ext === 'xls') return MIME.xls;
    return null;
  }
  // A ZIP starts with a local file header (PK\3\4); an empty archive with its end record (PK\5\6).
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) {
    const names = head.toString('latin1');
    if (ext === 'ofd' || names.includes('OFD.xml')) return MIME.ofd;
    const office = names.includes('[Content_Types].xml');
    if (names.includes('word/') || (office && ext === 'docx')) return MIME.docx;
    if (names.includes('xl/') || (office && ext === 'xlsx')) return MIME.xlsx;
    return MIME.zip;
  }
  return null;
}

/**
 * The upload's name as stored and sent back: the last path part only (a browser may send `C:\\…\\a.pdf`), no control
 * characters, at most 255 characters; never empty.
 */
export function sanitizeFileName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  const chars = [...(clean === '.' || clean === '..' ? '' : clean)];
  if (chars.length === 0) return '未命名文件';
  if (chars.length <= 255) return chars.join('');
  // Keep the extension when cutting: it is what tells .doc from .xls later.
  const dot = clean.lastIndexOf('.');
  const ext = dot > 0 && clean.length - dot <= 16 ? [...clean.slice(dot)] : [];
  return chars.slice(0, 255 - ext.length).join('') + ext.join('');
}
