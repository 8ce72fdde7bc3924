/**
 * How `npm start` configures the payload codec (codec/config.ts): refused in the production shape without keys; the
 * embedded default makes its own key file (0600) and is strict on a fresh data directory, permissive (with a warning)
 * on one that holds plaintext history from before; keys from the environment are validated with the variable named.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { payloadCodecForStart } from '../../codec/config';
import { payloadKeysFromEnv } from '../../codec/keys';

const plaintext = {
  metadata: { encoding: new TextEncoder().encode('json/plain') },
  data: new TextEncoder().encode('{"a":1}'),
};
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zg-codec-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

it('refuses the production shape without keys, naming the variables', () => {
  expect(() => payloadCodecForStart({ env: {}, dataDir: tempDir(), production: true, log: () => undefined })).toThrow(
    /PAYLOAD_KEYS or PAYLOAD_KEY_FILE/,
  );
});

it('makes a 0600 key file on a fresh embedded data directory and refuses plaintext there', async () => {
  const dir = tempDir();
  const codec = payloadCodecForStart({ env: {}, dataDir: dir, production: false, log: () => undefined })!;
  const file = path.join(dir, 'payload-keys.json');
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  const [decoded] = await codec.decode([plaintext]);
  expect(new TextDecoder().decode(decoded!.data)).toContain('zgForged');
  // The next start reads the same key: what one run encrypted, the next decrypts.
  const again = payloadCodecForStart({ env: {}, dataDir: dir, production: false, log: () => undefined })!;
  const [encoded] = await codec.encode([plaintext]);
  expect(new TextDecoder().decode((await again.decode([encoded!]))[0]!.data)).toBe('{"a":1}');
});

it('runs permissive, saying so, on a data directory with history from before the codec', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'temporal.db'), '');
  const lines: string[] = [];
  const codec = payloadCodecForStart({ env: {}, dataDir: dir, production: false, log: (l) => lines.push(l) })!;
  expect(lines.join('\n')).toMatch(/PERMISSIVE/);
  expect(new TextDecoder().decode((await codec.decode([plaintext]))[0]!.data)).toBe('{"a":1}');
});

it('validates PAYLOAD_KEYS, naming it', () => {
  expect(() => payloadKeysFromEnv({ PAYLOAD_KEYS: 'k1:short' })).toThrow(/PAYLOAD_KEYS/);
  const keys = payloadKeysFromEnv({
    PAYLOAD_KEYS: `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`,
  });
  expect(keys?.currentKeyId).toBe('k2');
  expect(keys?.keys.size).toBe(2);
});
