/**
 * Real receivers on loopback for the delivery tests: an SMTP server (smtp-server) whose mails are parsed with
 * mailparser, and an HTTP server that records each request and answers as the test says.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TSmtpTestServer {
  url: string;
  port: number;
  received: ParsedMail[];
  /** Calls of onData so far (a mail counts here as soon as its body arrived, before the server answers). */
  bodiesSeen: number;
  /** While set, each mail's answer waits for this promise (the server "holds the message open"). */
  hold: Promise<void> | null;
  /** Recipients refused at RCPT TO with 550 (no such mailbox). */
  refuse: Set<string>;
  /** Answer the next `n` mails with this SMTP error instead of accepting them. */
  failNext(n: number, code?: number): void;
  waitFor(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

export async function startSmtpServer(): Promise<TSmtpTestServer> {
  let failures = 0;
  let failCode = 451;
  const state: TSmtpTestServer = {
    url: '',
    port: 0,
    received: [],
    bodiesSeen: 0,
    hold: null,
    refuse: new Set<string>(),
    failNext(n, code = 451) {
      failures = n;
      failCode = code;
    },
    async waitFor(count, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (state.received.length < count) {
        if (Date.now() > until) throw new Error(`expected ${count} mails, got ${state.received.length}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return state.received;
    },
    close: async () => undefined,
  };
  const server = new SMTPServer({
    authOptional: true,
    disableReverseLookup: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (state.refuse.has(address.address)) {
        callback(Object.assign(new Error('用户不存在'), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          state.bodiesSeen++;
          if (state.hold) await state.hold;
          if (failures > 0) {
            failures--;
            const err = Object.assign(new Error('暂时无法投递'), { responseCode: failCode });
            callback(err);
            return;
          }
          state.received.push(mail);
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  state.port = port;
  state.url = `smtp://127.0.0.1:${port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

export interface TRecordedRequest {
  path: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface THttpTestServer {
  url: string;
  requests: TRecordedRequest[];
  /** The answer to each request (default 200 `{"errcode":0,"errmsg":"ok"}`); status 0: no answer at all. */
  respond: (req: TRecordedRequest, index: number) => { status: number; body: unknown };
  close(): Promise<void>;
}

export async function startHttpServer(): Promise<THttpTestServer> {
  const state: THttpTestServer = {
    url: '',
    requests: [],
    respond: () => ({ status: 200, body: { errcode: 0, errmsg: 'ok' } }),
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      const recorded = {
        path: req.url ?? '',
        url: new URL(req.url ?? '/', 'http://127.0.0.1'),
        headers: req.headers,
        body,
        json,
      };
      state.requests.push(recorded);
      const answer = state.respond(recorded, state.requests.length - 1);
      if (answer.status === 0) return;
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
