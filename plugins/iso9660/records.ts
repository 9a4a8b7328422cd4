/**
 * Byte-level encoders and decoders for the ECMA-119 structures the writer emits and the reader
 * parses: both-endian numbers (7.2.3, 7.3.3), the 7-byte directory-record date (9.1.5), the
 * 17-byte volume date (8.4.26.1), directory records (9.1), path table records (9.4) and volume
 * descriptors (8.4 primary, 8.5 supplementary, 8.3 terminator). This is their one import:
 * fields.ts holds the building blocks, directory-records.ts the records, volume-descriptors.ts
 * the descriptors.
 *
 * Decoders never trust a length byte: every read is checked against the buffer they were given
 * and a malformed structure throws an `IsoFormatError` instead of reading out of bounds.
 */
export * from "./fields.js";
export * from "./directory-records.js";
export * from "./volume-descriptors.js";
