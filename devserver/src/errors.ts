import { status } from '@grpc/grpc-js';
import { encodeMessage, lookupType, packAny, type Obj } from './proto';

/** An error answered to the caller with a gRPC status code (and optionally typed Temporal error details). */
export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly details?: { typeName: string; value: Obj },
  ) {
    super(message);
  }

  /** google.rpc.Status bytes for the grpc-status-details-bin trailer, so SDK clients can read typed failures. */
  statusDetails(): Buffer | undefined {
    if (!this.details) return undefined;
    const StatusType = lookupType('google.rpc.Status');
    return encodeMessage(StatusType, {
      code: this.code,
      message: this.message,
      details: [packAny(lookupType(this.details.typeName), this.details.value)],
    });
  }
}

export const invalid = (msg: string): RpcError => new RpcError(status.INVALID_ARGUMENT, msg);
export const notFound = (msg: string): RpcError =>
  new RpcError(status.NOT_FOUND, msg, { typeName: 'temporal.api.errordetails.v1.NotFoundFailure', value: {} });
export const precondition = (msg: string): RpcError => new RpcError(status.FAILED_PRECONDITION, msg);
