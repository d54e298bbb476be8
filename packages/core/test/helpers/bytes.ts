/**
 * Comparing large buffers: jest's `toEqual` walks a Buffer element by element (seconds for a few
 * MiB), so big payloads are compared natively and described by length and first difference.
 */
export function describeDifference(actual: Buffer, expected: Buffer): string {
  if (actual.equals(expected)) return 'equal';
  const length = Math.min(actual.length, expected.length);
  let at = 0;
  while (at < length && actual[at] === expected[at]) at++;
  return `lengths ${actual.length}/${expected.length}, first difference at byte ${at}`;
}

/** Passes when both hold the same bytes; otherwise fails with where they differ. */
export function expectSameBytes(actual: unknown, expected: Buffer): void {
  expect(Buffer.isBuffer(actual)).toBe(true);
  expect(describeDifference(actual as Buffer, expected)).toBe('equal');
}
