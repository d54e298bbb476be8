/**
 * permessage-deflate (RFC 7692) for `@ws/core`, as an `Extension`: `deflate(options)`.
 *
 * @packageDocumentation
 * @module @ws/deflate
 */
// The declarations name Node's types (Buffer, node:http): this reference, kept in the emitted
// index.d.ts, makes a consumer's compiler load the @types/node that package.json depends on.
/// <reference types="node" preserve="true" />
export { deflate, PerMessageDeflate } from './permessage-deflate';
export type { DeflateOptions, DeflateZlibOptions, InflateZlibOptions } from './options';
export type { DeflateAgreement } from './negotiate';
export { DeflateCodec, type DeflateRole } from './codec';
