/**
 * Where the payload keys come from (codec/payloadCodec.ts): `PAYLOAD_KEYS` ("id:base64key,id2:base64key", the first
 * encrypts) or `PAYLOAD_KEY_FILE` (JSON `{ "keys": [{ "id": "…", "key": "<base64 of 32 bytes>" }, …] }`, the first
 * encrypts). Rotation: put a new key first and keep the old ones after it until no history needs them.
 * `PAYLOAD_CODEC`: 'strict' (default once keys exist), 'permissive' (plaintext accepted: migration only), 'off'.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AesGcmPayloadCodec, type TCodecMode, type TPayloadKeys } from './payloadCodec';

const ZKeyId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'key ids are 1–64 letters, digits, dot, dash or underscore');
const ZKeyB64 = z
  .string()
  .refine((s) => Buffer.from(s, 'base64').length === 32, 'a key is 32 bytes, base64-encoded (openssl rand -base64 32)');
const ZKeyFile = z.object({ keys: z.array(z.object({ id: ZKeyId, key: ZKeyB64 })).min(1) });

export function parseKeyList(list: { id: string; key: string }[]): TPayloadKeys {
  const keys = new Map<string, Buffer>();
  for (const { id, key } of list) {
    if (keys.has(id)) throw new Error(`payload key id ${id} appears twice`);
    keys.set(id, Buffer.from(key, 'base64'));
  }
  return { currentKeyId: list[0]!.id, keys };
}

/** Keys from PAYLOAD_KEYS or PAYLOAD_KEY_FILE; null when neither is set. Invalid values throw, naming the variable. */
export function payloadKeysFromEnv(env: NodeJS.ProcessEnv): TPayloadKeys | null {
  if (env.PAYLOAD_KEYS) {
    const list = env.PAYLOAD_KEYS.split(',').map((entry) => {
      const i = entry.indexOf(':');
      return { id: entry.slice(0, i).trim(), key: entry.slice(i + 1).trim() };
    });
    const parsed = z
      .array(z.object({ id: ZKeyId, key: ZKeyB64 }))
      .min(1)
      .safeParse(list);
    if (!parsed.success) throw new Error(`PAYLOAD_KEYS: ${parsed.error.issues[0]?.message}`);
    return parseKeyList(parsed.data);
  }
  if (env.PAYLOAD_KEY_FILE) return readKeyFile(env.PAYLOAD_KEY_FILE);
  return null;
}

export function readKeyFile(file: string): TPayloadKeys {
  const parsed = ZKeyFile.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues[0]?.message}`);
  return parseKeyList(parsed.data.keys);
}

/** A new key file with one random key (mode 0600), for the embedded default's fresh data directory. */
export function createKeyFile(file: string): TPayloadKeys {
  const list = [
    { id: `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`, key: randomBytes(32).toString('base64') },
  ];
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify({ keys: list }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return parseKeyList(list);
}

export function codecModeFromEnv(env: NodeJS.ProcessEnv): TCodecMode | 'off' {
  const mode = z
    .enum(['strict', 'permissive', 'off'])
    .optional()
    .safeParse(env.PAYLOAD_CODEC || undefined);
  if (!mode.success) throw new Error("PAYLOAD_CODEC must be 'strict', 'permissive' or 'off'");
  return mode.data ?? 'strict';
}

export function createPayloadCodec(keys: TPayloadKeys, mode: TCodecMode): AesGcmPayloadCodec {
  return new AesGcmPayloadCodec(keys, mode);
}
