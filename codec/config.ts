/**
 * The payload codec as `npm start` configures it (codec/keys.ts for the variables):
 * - keys in PAYLOAD_KEYS or PAYLOAD_KEY_FILE: used, strict unless PAYLOAD_CODEC says otherwise;
 * - production shape (a real cluster or PostgreSQL) without keys: refused at start, naming the variables — a cluster
 *   reachable by others must not take decisions from whoever can reach it (PAYLOAD_CODEC=off opts out, loudly);
 * - the embedded default without keys: a key file in DATA_DIR (0600), made on first start. A data directory that
 *   already holds plaintext history from before the codec runs permissive (its running tasks keep working), with a
 *   warning naming PAYLOAD_CODEC=strict for when they are done.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PayloadCodec } from '@temporalio/common';
import { codecModeFromEnv, createKeyFile, createPayloadCodec, payloadKeysFromEnv, readKeyFile } from './keys';

export function payloadCodecForStart(opts: {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  production: boolean;
  log: (line: string) => void;
}): PayloadCodec | undefined {
  const { env, dataDir, production, log } = opts;
  const mode = codecModeFromEnv(env);
  if (mode === 'off') {
    log(
      'payload codec OFF (PAYLOAD_CODEC=off): anyone who reaches the Temporal port can read tasks and forge decisions',
    );
    return undefined;
  }
  const fromEnv = payloadKeysFromEnv(env);
  if (fromEnv) return createPayloadCodec(fromEnv, mode);
  if (production) {
    throw new Error(
      'PAYLOAD_KEYS or PAYLOAD_KEY_FILE must be set with a real Temporal cluster or PostgreSQL ' +
        '(e.g. PAYLOAD_KEYS="k1:$(openssl rand -base64 32)"); PAYLOAD_CODEC=off runs without, unprotected',
    );
  }
  const file = path.join(dataDir, 'payload-keys.json');
  if (fs.existsSync(file)) return createPayloadCodec(readKeyFile(file), mode);
  const hadHistory = fs.existsSync(path.join(dataDir, 'temporal.db'));
  const keys = createKeyFile(file);
  log(`payload key created in ${file} (mode 0600)`);
  if (hadHistory && env.PAYLOAD_CODEC === undefined) {
    log(
      'this data directory holds history from before the payload codec: running PERMISSIVE (plaintext accepted) so ' +
        'its tasks keep working; set PAYLOAD_CODEC=strict once they are done',
    );
    return createPayloadCodec(keys, 'permissive');
  }
  return createPayloadCodec(keys, mode);
}
