/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf messages are handled as plain objects: the
   generated interfaces type int64 as Long and would force a conversion at every field access. */
import { temporal } from '@temporalio/proto';
import root from '@temporalio/proto/protos/root';
import type * as protobuf from 'protobufjs';

/** A decoded protobuf message as a plain object (int64 as number, enums as numbers, bytes as Buffer). */
export type Obj = Record<string, any>;

export const enums = temporal.api.enums.v1;
export const ET = temporal.api.enums.v1.EventType;
export const CT = temporal.api.enums.v1.CommandType;
export const WS = temporal.api.enums.v1.WorkflowExecutionStatus;
export const TT = temporal.api.enums.v1.TimeoutType;
export const RS = temporal.api.enums.v1.RetryState;

const protoRoot = root as unknown as protobuf.Root;

export function lookupType(name: string): protobuf.Type {
  return protoRoot.lookupType(name);
}

export function lookupService(name: string): protobuf.Service {
  return protoRoot.lookupService(name);
}

const toObjectOptions: protobuf.IConversionOptions = { longs: Number, enums: Number, defaults: false };

export function decodeMessage(type: protobuf.Type, buf: Uint8Array): Obj {
  return type.toObject(type.decode(buf), toObjectOptions);
}

export function encodeMessage(type: protobuf.Type, obj: Obj): Buffer {
  return Buffer.from(type.encode(obj).finish());
}

export const HistoryEventType = lookupType('temporal.api.history.v1.HistoryEvent');
export const HistoryType = lookupType('temporal.api.history.v1.History');
export const UpdateRequestType = lookupType('temporal.api.update.v1.Request');
export const UpdateAcceptanceType = lookupType('temporal.api.update.v1.Acceptance');
export const UpdateRejectionType = lookupType('temporal.api.update.v1.Rejection');
export const UpdateResponseType = lookupType('temporal.api.update.v1.Response');

export function packAny(type: protobuf.Type, obj: Obj): Obj {
  return { type_url: `type.googleapis.com/${type.fullName.replace(/^\./, '')}`, value: encodeMessage(type, obj) };
}

export function unpackAny(any: Obj | undefined): { typeName: string; value: Obj } | undefined {
  if (!any) return undefined;
  const url: string = any.type_url ?? any.typeUrl ?? '';
  const typeName = url.slice(url.lastIndexOf('/') + 1);
  try {
    const type = lookupType(typeName);
    return { typeName, value: decodeMessage(type, any.value ?? new Uint8Array()) };
  } catch {
    return undefined;
  }
}

/** Converts an int64 that may come as number, string or Long into a JS number. */
export function num(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (typeof v === 'object' && 'toNumber' in (v as object)) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

export function tsFromMs(ms: number): Obj {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

export function msFromTs(ts: Obj | undefined | null): number {
  if (!ts) return 0;
  return num(ts.seconds) * 1000 + Math.floor(num(ts.nanos) / 1e6);
}

/** Duration message → milliseconds; absent or zero means "not set" and gives 0. */
export function msFromDur(d: Obj | undefined | null): number {
  if (!d) return 0;
  return num(d.seconds) * 1000 + Math.floor(num(d.nanos) / 1e6);
}

export function durFromMs(ms: number): Obj {
  return tsFromMs(ms);
}
