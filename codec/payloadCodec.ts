/**
 * The payload codec between the API and the worker (issue 11: decisions only from the API). Every payload the API
 * sends to a workflow, and every payload the worker writes, is encrypted and authenticated with AES-256-GCM: someone
 * who can reach the Temporal port but holds no key can neither read a task's state nor forge a decision.
 *
 * Encoded payload: metadata `encoding: binary/encrypted`, `encryption-cipher: AES256GCM`, `encryption-key-id: <id>`;
 * data = 12-byte random IV ‖ ciphertext of the whole original Payload (metadata and data, protobuf) ‖ 16-byte tag.
 * The key id travels with each payload, so keys rotate by adding one: the first key encrypts, all keys decrypt.
 *
 * Decoding never throws on a payload it cannot authenticate (a throw there would fail the workflow task and retry it
 * forever: a forger could wedge a task). Such a payload, and in strict mode any plaintext payload, decodes to the
 * FORGED marker value instead, which the workflow refuses where it arrives (update validators, signal handlers, its
 * input). Permissive mode passes plaintext through: only for migrating a deployment whose running workflows hold
 * plaintext history; it gives no protection and is logged as such.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { FORGED_PAYLOAD_MARKER } from './forged';

const ENCODING = 'binary/encrypted';
const CIPHER = 'AES256GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface TPayloadKeys {
  /** The key that encrypts (the first one configured). */
  currentKeyId: string;
  /** Every key that may decrypt, by id (32 bytes each). */
  keys: Map<string, Buffer>;
}

export type TCodecMode = 'strict' | 'permissive';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined): string => (b ? new TextDecoder().decode(b) : '');

/** The JSON payload the marker decodes to: `{ "zgForged": "<why>" }`. */
function forgedPayload(reason: string): Payload {
  return {
    metadata: { encoding: utf8('json/plain') },
    data: utf8(JSON.stringify({ [FORGED_PAYLOAD_MARKER]: reason })),
  };
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(
    private readonly keys: TPayloadKeys,
    private readonly mode: TCodecMode = 'strict',
  ) {
    for (const [id, key] of keys.keys) {
      if (key.length !== 32) throw new Error(`payload key ${id} must be 32 bytes (AES-256), not ${key.length}`);
    }
    if (!keys.keys.has(keys.currentKeyId)) throw new Error(`payload key ${keys.currentKeyId} is not among the keys`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.keys.get(this.keys.currentKeyId)!;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: {
          encoding: utf8(ENCODING),
          'encryption-cipher': utf8(CIPHER),
          'encryption-key-id': utf8(this.keys.currentKeyId),
        },
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decodeOne(payload));
  }

  private decodeOne(payload: Payload): Payload {
    const encoding = text(payload.metadata?.encoding);
    if (encoding !== ENCODING) {
      return this.mode === 'permissive' ? payload : forgedPayload('unencrypted payload');
    }
    const keyId = text(payload.metadata?.['encryption-key-id']);
    const key = this.keys.keys.get(keyId);
    const data = payload.data ?? new Uint8Array();
    if (!key) return forgedPayload(`unknown key ${keyId.slice(0, 40)}`);
    if (text(payload.metadata?.['encryption-cipher']) !== CIPHER || data.length < IV_BYTES + TAG_BYTES) {
      return forgedPayload('malformed encrypted payload');
    }
    try {
      const iv = data.subarray(0, IV_BYTES);
      const tag = data.subarray(data.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      const decoded = temporal.api.common.v1.Payload.decode(plain);
      return { metadata: decoded.metadata ?? {}, data: decoded.data ?? new Uint8Array() };
    } catch {
      return forgedPayload('payload failed authentication');
    }
  }
}
