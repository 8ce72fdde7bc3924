/**
 * The group robots of DingTalk (钉钉自定义机器人) and WeCom (企业微信群机器人): one markdown message per notice into the
 * configured group, naming (DingTalk: @-mentioning by phone) the person it is for.
 */
import crypto from 'node:crypto';
import { DeliveryError, httpStatusFailure, postJson, type TChannelAdapter } from './channels';
import { renderMarkdown, truncateBytes, type TDeliveryMessage } from './render';

/**
 * errcodes that retrying cannot fix. DingTalk: 300001 token missing, 310000 security check failed (sign, keyword or
 * IP). WeCom: 93000 invalid webhook URL, 40008 invalid message type, 44004 empty content, 40058 bad parameter. Other
 * codes (DingTalk 130101 / WeCom 45009: more than 20 messages a minute) are retried with backoff.
 */
const PERMANENT_ERRCODES = new Set([300001, 310000, 93000, 40008, 44004, 40058]);

function robotFailure(what: string, res: { status: number; json: unknown; text: string }): DeliveryError | null {
  const http = httpStatusFailure(res.status, what, res.text);
  if (http) return http;
  const body = res.json as { errcode?: unknown; errmsg?: unknown } | null;
  if (body && body.errcode === 0) return null;
  const code = typeof body?.errcode === 'number' ? body.errcode : null;
  const detail = `${what}返回 errcode=${String(body?.errcode)}：${String(body?.errmsg ?? res.text.slice(0, 200))}`;
  return new DeliveryError(code !== null && PERMANENT_ERRCODES.has(code) ? 'permanent' : 'retry', detail);
}

/** DingTalk's 加签: sign = base64(HMAC-SHA256(secret, `${timestamp}\n${secret}`)), both URL-encoded into the URL. */
export function dingtalkSignedUrl(webhookUrl: string, secret: string | undefined, timestampMs: number): string {
  if (!secret) return webhookUrl;
  const sign = crypto.createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
  const sep = webhookUrl.includes('?') ? '&' : '?';
  return `${webhookUrl}${sep}timestamp=${timestampMs}&sign=${encodeURIComponent(sign)}`;
}

export function dingtalkChannel(options: { webhookUrl: string; secret?: string; timeoutMs?: number }): TChannelAdapter {
  return {
    name: 'dingtalk',
    resendSafe: false,
    async send(message: TDeliveryMessage) {
      const phone = message.recipient.phone;
      // A mention works only when the number appears in the text as well as in `at.atMobiles`.
      const mention = phone ? `@${phone} ${message.recipient.name}` : `致：${message.recipient.name}`;
      const body = {
        msgtype: 'markdown',
        markdown: { title: message.title, text: renderMarkdown(message, mention) },
        at: { atMobiles: phone ? [phone] : [], isAtAll: false },
      };
      const url = dingtalkSignedUrl(options.webhookUrl, options.secret, Date.now());
      const failure = robotFailure('钉钉机器人', await postJson(url, body, {}, '钉钉机器人', options.timeoutMs));
      if (failure) throw failure;
    },
  };
}

export function wecomChannel(options: { webhookUrl: string; timeoutMs?: number }): TChannelAdapter {
  return {
    name: 'wecom',
    resendSafe: false,
    async send(message: TDeliveryMessage) {
      // WeCom markdown cannot @-mention (only its text messages can): the person is named instead.
      const content = truncateBytes(renderMarkdown(message, `致：${message.recipient.name}`));
      const body = { msgtype: 'markdown', markdown: { content } };
      const failure = robotFailure(
        '企业微信机器人',
        await postJson(options.webhookUrl, body, {}, '企业微信机器人', options.timeoutMs),
      );
      if (failure) throw failure;
    },
  };
}
