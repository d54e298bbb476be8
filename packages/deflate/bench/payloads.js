'use strict';
/** Payloads the deflate benchmarks share: a JSON document like an API's, of at least `bytes` bytes. */
function json(bytes, seed = 0) {
  const items = [];
  let length = 20;
  for (let i = 0; length < bytes; i++) {
    const item = {
      id: seed * 100000 + i,
      name: `item ${i} of ${seed}`,
      tags: ['a', 'b', String(i % 7)],
      price: i * 1.25,
    };
    items.push(item);
    length += JSON.stringify(item).length + 1;
  }
  return JSON.stringify({ seed, items });
}
module.exports = { json };
