const EMPTY = Buffer.alloc(0);

/** The chunks as one buffer, without a copy when there is only one; empties the array. */
export function joinChunks(chunks: Buffer[], length: number): Buffer {
  let joined: Buffer;
  if (chunks.length === 0) joined = EMPTY;
  else if (chunks.length === 1) joined = chunks[0];
  else joined = Buffer.concat(chunks, length);
  chunks.length = 0;
  return joined;
}
