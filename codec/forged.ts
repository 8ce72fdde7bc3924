/**
 * The value an unauthenticated payload decodes to (codec/payloadCodec.ts), and the check the workflow makes where
 * payloads arrive. Imported by workflow code: no Node APIs here.
 */
export const FORGED_PAYLOAD_MARKER = 'zgForged';

/** True for the value a payload decodes to when it could not be authenticated. */
export function isForgedPayload(value: unknown): boolean {
  return typeof value === 'object' && value !== null && FORGED_PAYLOAD_MARKER in value;
}
