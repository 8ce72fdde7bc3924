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

/** SMTP stages before the message body is handed over: a failure there certainly sent nothing. */
const BEFORE_DATA = /^(CONN|EHLO|HELO|LHLO|STARTTLS|AUTH|MAIL FROM|RCPT TO|API)/i;

export function classifySmtpError(err: unknown): DeliveryError {
  const e = err as { responseCode?: unknown; command?: unknown; code?: unknown; message?: unknown };
  const message = `邮件发送失败：${typeof e.message === 'string' ? e.message : String(err)}`;
  if (typeof e.responseCode === 'number') {
    // The server answered: 5xx refuses for good (no such mailbox, policy), 4xx asks to try later.
    return new DeliveryError(e.responseCode >= 500 ? 'permanent' : 'retry', message, { cause: err });
  }
  if (e.code === 'ECONNECTION' || e.code === 'EDNS' || (typeof e.command === 'string' && BEFORE_DATA.test(e.command))) {
    return new DeliveryError('retry', message, { cause: err });
  }
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return new DeliveryError('permanent', message, { cause: err });
  // A timeout or dropped connection once the body was on its way: the server may have accepted it.
  return new DeliveryError('uncertain', message, { cause: err });
}

export function emailChannel(options: { smtpUrl: string; from: string }): TChannelAdapter {
  const transport = nodemailer.createTransport({
    url: options.smtpUrl,
    connectionTimeout: SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: SMTP_GREETING_TIMEOUT_MS,
    socketTimeout: SMTP_SOCKET_TIMEOUT_MS,
  } as nodemailer.TransportOptions);
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
