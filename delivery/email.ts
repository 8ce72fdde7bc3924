/** Email over SMTP (nodemailer): subject = the notice's title, a Chinese text and HTML body with the task's link. */
import nodemailer from 'nodemailer';
import { DeliveryError, type TChannelAdapter } from './channels';
import { renderEmail, type TDeliveryMessage } from './render';

/**
 * Timeouts of one SMTP conversation. A healthy relay host answers in milliseconds; 10 s to connect and to greet
 * covers a slow network without holding the relay's batch, and 60 s of silence on the socket is the point where a
 * server that still holds our message is taken as gone (the send then counts as uncertain: see below).
 */
const SMTP_CONNECTION_TIMEOUT_MS = 10_000;
const SMTP_GREETING_TIMEOUT_MS = 10_000;
const SMTP_SOCKET_TIMEOUT_MS = 60_000;

/**
 * Failures that happen before any SMTP command is exchanged: the message certainly did not leave. nodemailer reports
 * every socket failure with command 'CONN' whatever the stage, so only these messages tell the stage apart.
 */
const NOT_CONNECTED =
  /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|Connection timeout|Greeting never received/;

/**
 * What a nodemailer failure means for delivery. The server answered: 4xx is temporary, 5xx final. Nothing connected:
 * retry. Any other failure without an answer (a socket timeout, a connection dropped mid-conversation) may have come
 * after the body was handed over — the server may have the message — so it is 'uncertain' and not resent.
 */
export function classifySmtpError(err: unknown): DeliveryError {
  const e = err as { responseCode?: unknown; code?: unknown; message?: unknown };
  const text = typeof e.message === 'string' ? e.message : String(err);
  const message = `邮件发送失败：${text}${typeof e.code === 'string' ? ` (${e.code})` : ''}`;
  if (typeof e.responseCode === 'number') {
    return new DeliveryError(e.responseCode >= 500 ? 'permanent' : 'retry', message, { cause: err });
  }
  if (e.code === 'EDNS' || NOT_CONNECTED.test(text)) return new DeliveryError('retry', message, { cause: err });
  // Refused by nodemailer itself before sending (an invalid address or message).
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return new DeliveryError('permanent', message, { cause: err });
  return new DeliveryError('uncertain', message, { cause: err });
}

/** `smtp://user:pass@host:port` / `smtps://…` as nodemailer's options (smtps: implicit TLS, port 465 by default). */
export function smtpUrlOptions(smtpUrl: string): {
  host: string;
  port: number;
  secure: boolean;
  auth?: { user: string; pass: string };
} {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
  };
}

export function emailChannel(options: { smtpUrl: string; from: string; socketTimeoutMs?: number }): TChannelAdapter {
  // Not `{ url }`: nodemailer then takes the URL's settings only and drops every other option (the timeouts).
  const transport = nodemailer.createTransport({
    ...smtpUrlOptions(options.smtpUrl),
    connectionTimeout: SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: SMTP_GREETING_TIMEOUT_MS,
    socketTimeout: options.socketTimeoutMs ?? SMTP_SOCKET_TIMEOUT_MS,
  });
  return {
    name: 'email',
    // SMTP has no idempotency key a server deduplicates on (Message-ID is not checked on receipt).
    resendSafe: false,
    async send(message: TDeliveryMessage) {
      const to = message.recipient.email;
      if (!to) throw new DeliveryError('permanent', `${message.recipient.name}没有登记电子邮箱`);
      const mail = renderEmail(message);
      try {
        await transport.sendMail({
          from: options.from,
          to: { name: message.recipient.name, address: to },
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          headers: { 'X-Zhenggai-Idempotency-Key': message.idempotencyKey },
        });
      } catch (err) {
        throw classifySmtpError(err);
      }
    },
    async close() {
      transport.close();
    },
  };
}
