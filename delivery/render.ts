/**
 * What each channel sends, rendered from outbox payloads. Pure: no I/O, no clock (the digest's date is passed in).
 * Every message is in Chinese and leads to the task: `${PUBLIC_URL}/tasks/<id>`.
 */
import { shanghaiDateText } from './digest';

/** An outbox row's payload, as activities/notify.ts writes it. */
export interface TOutboxPayload {
  userId: string;
  taskId: string | null;
  kind: string;
  title: string;
  body: string;
  /** The task's page path (`/tasks/<id>`). */
  link: string | null;
  actorId?: string | null;
  /** Held for the recipient's daily digest. */
  digest?: boolean;
}

export interface TRecipientAddress {
  userId: string;
  name: string;
  email: string | null;
  phone: string | null;
}

/** One notice inside a message: its title, its text without the trailing link path, and the link as a full URL. */
export interface TMessageItem {
  title: string;
  text: string;
  url: string | null;
}

/** What a channel adapter sends: one notice, or a digest of several. */
export interface TDeliveryMessage {
  /** The outbox idempotency key (a digest: its first row's key with a `:digest` suffix). */
  idempotencyKey: string;
  /** The outbox row ids it delivers (one, or a digest's). */
  outboxIds: string[];
  recipient: TRecipientAddress;
  title: string;
  items: TMessageItem[];
  digest: boolean;
}

/** Notices of a digest past this many are summarised by count: a chat message has a size limit. */
const ROBOT_MAX_ITEMS = 20;
/** WeCom refuses markdown longer than 4096 bytes; DingTalk's limit is about 5000 characters. Margin kept. */
const WECOM_MAX_BYTES = 4000;

export function absoluteUrl(publicUrl: string, link: string | null): string | null {
  if (!link) return null;
  if (/^https?:\/\//.test(link)) return link;
  return `${publicUrl}${link.startsWith('/') ? '' : '/'}${link}`;
}

/** The texts end with `查看：/tasks/<id>` (for channels without links); the channels here add a full link instead. */
export function itemOf(payload: TOutboxPayload, publicUrl: string): TMessageItem {
  let text = payload.body;
  if (payload.link) {
    const suffix = `查看：${payload.link}`;
    if (text.endsWith(suffix)) text = text.slice(0, -suffix.length).trimEnd();
  }
  return { title: payload.title, text, url: absoluteUrl(publicUrl, payload.link) };
}

export function digestTitle(count: number, at: Date): string {
  return `【整改通知汇总】${shanghaiDateText(at)}共${count}条`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface TEmail {
  subject: string;
  text: string;
  html: string;
}

export function renderEmail(m: TDeliveryMessage): TEmail {
  const greeting = `${m.recipient.name}：`;
  const footer = '此邮件由整改系统自动发送，请勿直接回复。';
  const textItems = m.items.map((i, n) => {
    const head = m.digest ? `${n + 1}. ${i.title}\n` : '';
    return `${head}${i.text}${i.url ? `\n查看任务：${i.url}` : ''}`;
  });
  const htmlItems = m.items.map((i) => {
    const link = i.url ? `<p><a href="${escapeHtml(i.url)}">查看任务</a>：${escapeHtml(i.url)}</p>` : '';
    const head = m.digest ? `<h3>${escapeHtml(i.title)}</h3>` : '';
    return `${head}<p>${escapeHtml(i.text)}</p>${link}`;
  });
  return {
    subject: m.title,
    text: [greeting, '', textItems.join('\n\n'), '', footer].join('\n'),
    html:
      `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(m.title)}</title></head>` +
      `<body><p>${escapeHtml(greeting)}</p>${htmlItems.join('<hr>')}<p style="color:#888">${footer}</p></body></html>`,
  };
}

/** Markdown for the group robots; `mention` is put in front (DingTalk @-mentions need the phone number in the text). */
export function renderMarkdown(m: TDeliveryMessage, mention: string): string {
  const shown = m.items.slice(0, ROBOT_MAX_ITEMS);
  const lines = [`### ${m.title}`, '', `${mention}`];
  for (const i of shown) {
    if (m.digest) lines.push('', `**${i.title}**`);
    lines.push('', i.text);
    if (i.url) lines.push('', `[查看任务](${i.url})`);
  }
  if (m.items.length > shown.length) lines.push('', `……另有${m.items.length - shown.length}条，请登录系统查看。`);
  return lines.join('\n');
}

/** Cut to `maxBytes` of UTF-8 at a character boundary, marked as cut. */
export function truncateBytes(s: string, maxBytes = WECOM_MAX_BYTES): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  const mark = '\n\n……（内容过长，请登录系统查看）';
  let out = '';
  let bytes = Buffer.byteLength(mark, 'utf8');
  for (const ch of s) {
    const b = Buffer.byteLength(ch, 'utf8');
    if (bytes + b > maxBytes) break;
    out += ch;
    bytes += b;
  }
  return out + mark;
}

/** One SMS: short, with the link; a digest only counts. */
export function renderSms(m: TDeliveryMessage): string {
  if (m.digest) return `【整改系统】您今日有${m.items.length}条整改通知，请登录系统查看。`;
  const i = m.items[0]!;
  return `【整改系统】${i.title}${i.url ? ` ${i.url}` : ''}`;
}
