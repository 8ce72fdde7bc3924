/**
 * The codec endpoint (Temporal's "remote codec" protocol) for the payload codec (codec/payloadCodec.ts), for admins
 * only: Temporal's tools show encrypted payloads in clear through it, e.g.
 * `temporal workflow show -w task-<id> --codec-endpoint http://localhost:3000/api/codec --codec-auth "Bearer <token>"`.
 * Body and answer: `{ payloads: [{ metadata: { <key>: <base64> }, data: <base64> }] }`.
 */
import { Router } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { actorOf, requireRole } from '../auth';
import { AppError } from '../errors';

const ZBase64 = z
  .string()
  .max(4_000_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
export const ZCodecRequest = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string().max(200), ZBase64).default({}), data: ZBase64.default('') }))
    .max(1000),
});
export type TCodecRequest = z.infer<typeof ZCodecRequest>;

const toPayload = (p: TCodecRequest['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
const fromPayload = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export function codecRouter(codec: PayloadCodec | undefined): Router {
  const router = Router();
  for (const direction of ['encode', 'decode'] as const) {
    router.post(`/codec/${direction}`, async (req, res) => {
      requireRole(actorOf(res), ['admin']);
      if (!codec) throw new AppError('NOT_FOUND', '未启用载荷加密（PAYLOAD_CODEC=off），无需编解码');
      const body = ZCodecRequest.parse(req.body);
      const payloads = await codec[direction](body.payloads.map(toPayload));
      res.setHeader('Cache-Control', 'no-store');
      res.json({ payloads: payloads.map(fromPayload) });
    });
  }
  return router;
}
