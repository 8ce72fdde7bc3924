import { gunzipSync, inflateSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';

/**
 * The SDK's core compresses every request with gzip. @grpc/grpc-js (1.14) inflates each message through a new zlib
 * stream on the libuv thread pool: ~100–250 µs of the event loop per message here, the largest single cost of a
 * workflow in the server's profile (~1.3 ms of a start → activity → complete). Requests are small, so inflating them
 * synchronously costs ~10–15 µs. grpc-js has no option for this: its per-call decompression method is replaced on its
 * server call class, keeping its contract (a promise of the message, the same status codes for a bad or oversized
 * message). If a grpc-js upgrade moves the method, nothing is patched and its own path runs as before.
 */
export function useSynchronousDecompression(): boolean {
  let proto: Record<string, unknown> | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module of grpc-js, on purpose
    const mod = require('@grpc/grpc-js/build/src/server-interceptors') as {
      BaseServerInterceptingCall?: { prototype: Record<string, unknown> };
    };
    proto = mod.BaseServerInterceptingCall?.prototype;
  } catch {
    return false;
  }
  if (!proto || typeof proto.decompressMessage !== 'function' || proto.decompressMessage.length !== 2) return false;
  if ((proto.decompressMessage as { synchronous?: boolean }).synchronous) return true;
  const original = proto.decompressMessage as (this: unknown, message: Buffer, encoding: string) => unknown;
  const replacement = function (this: { maxReceiveMessageSize: number }, message: Buffer, encoding: string): unknown {
    if (encoding !== 'gzip' && encoding !== 'deflate') return original.call(this, message, encoding);
    const max = this.maxReceiveMessageSize;
    const options = max >= 0 ? { maxOutputLength: Math.max(1, max) } : {};
    try {
      const body = message.subarray(5);
      const inflated = encoding === 'gzip' ? gunzipSync(body, options) : inflateSync(body, options);
      // zlib's output is a view of a 16 KB chunk; decoded payloads are slices of it and would pin the whole chunk for
      // as long as the run keeps them. A right-sized copy (pooled when small, as grpc-js's own concat made) does not.
      return Promise.resolve(
        inflated.buffer.byteLength > 2 * inflated.length ? Buffer.concat([inflated], inflated.length) : inflated,
      );
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        return Promise.reject({
          code: status.RESOURCE_EXHAUSTED,
          details: `Received message that decompresses to a size larger than ${max}`,
        });
      }
      return Promise.reject({ code: status.INTERNAL, details: 'Failed to decompress message' });
    }
  };
  Object.assign(replacement, { synchronous: true });
  proto.decompressMessage = replacement;
  return true;
}
