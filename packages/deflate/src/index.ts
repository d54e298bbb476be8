export { deflate, PerMessageDeflate } from './permessage-deflate';
export type { DeflateOptions, DeflateZlibOptions, InflateZlibOptions } from './options';
export type { DeflateAgreement } from './negotiate';
export { DeflateCodec } from './codec';
