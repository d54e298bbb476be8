'use strict';
/**
 * The client ends of idle-connections.js (raw `net` sockets) and in-memory-connections.js
 * (in-memory duplex ends): a minimal upgrade request, a check of the 101, then a masked pong for
 * every ping and nothing else, as an idle peer that only keeps alive.
 *
 * Per-end state lives on the end (symbol properties) and the listeners are module-level: no
 * closure per connection.
 */
const kPending = Symbol('pending');
const kUpgraded = Symbol('upgraded');

/** What every client end of this process did: handshakes answered with 101, pongs sent. */
const clientEnds = { opened: 0, pongs: 0 };
/** Resolves `openAll`'s wait for a handshake to finish. */
let wake = null;

/** The upgrade request every end sends (RFC 6455 §1.3's example key: the answer is not checked). */
function handshakeRequest(host) {
  return (
    `GET / HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
  );
}

/** Makes `end` (a socket or any Duplex) answer pings, once it has written `handshakeRequest`. */
function answerPings(end) {
  end[kPending] = null;
  end[kUpgraded] = false;
  end.on('data', onData);
  end.on('error', onError);
  return end;
}

function onData(chunk) {
  let data = this[kPending] === null ? chunk : Buffer.concat([this[kPending], chunk]);
  this[kPending] = null;
  if (!this[kUpgraded]) {
    const end = data.indexOf('\r\n\r\n');
    if (end < 0) {
      this[kPending] = data;
      return;
    }
    if (!data.subarray(0, 12).equals(Buffer.from('HTTP/1.1 101')))
      throw new Error(`handshake refused: ${data.toString('latin1', 0, end)}`);
    this[kUpgraded] = true;
    clientEnds.opened++;
    if (wake !== null) wake();
    data = data.subarray(end + 4);
  }
  while (data.length >= 2) {
    const length = data[1] & 0x7f; // the server sends only control frames here: ≤ 125 bytes
    if (data.length < 2 + length) break;
    if ((data[0] & 0x0f) === 0x9) {
      // RFC 6455 §5.5.3: a pong with the ping's payload, masked (key 0: the payload is unchanged).
      const pong = Buffer.allocUnsafe(6 + length);
      pong[0] = 0x8a;
      pong[1] = 0x80 | length;
      pong.writeUInt32BE(0, 2);
      data.copy(pong, 6, 2, 2 + length);
      this.write(pong);
      clientEnds.pongs++;
    }
    data = data.subarray(2 + length);
  }
  if (data.length > 0) this[kPending] = Buffer.from(data);
}

function onError() {}

/**
 * Calls `start(i)` for i = 0 … count-1 (it sends the i-th handshake), with at most `inFlight`
 * handshakes unanswered at a time; resolves once all `count` are open.
 */
async function openAll(count, inFlight, start) {
  const base = clientEnds.opened;
  let next = 0;
  while (clientEnds.opened - base < count) {
    if (next < count && next - (clientEnds.opened - base) < inFlight) {
      start(next++);
      continue;
    }
    await new Promise((resolve) => (wake = resolve));
    wake = null;
  }
}

module.exports = { clientEnds, handshakeRequest, answerPings, openAll };
