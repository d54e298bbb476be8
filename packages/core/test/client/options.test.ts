/**
 * connect()'s options and URL are checked before any socket opens: unknown options, bad values
 * and bad URLs reject with a TypeError or RangeError naming the problem.
 */
import { connect, type ClientOptions } from '@ws/core';

const refused = (options: unknown, url = 'ws://127.0.0.1:1/'): Promise<unknown> =>
  connect(url, options as ClientOptions).then(
    () => {
      throw new Error('connect() resolved');
    },
    (error: unknown) => error,
  );

describe('options', () => {
  it.each([
    [{ treshold: 1 }, TypeError, /connect: unknown option "treshold"/],
    [{ protocols: ['a b'] }, TypeError, /"a b" is not a token/],
    [{ protocols: ['a', 'a'] }, TypeError, /"a" is listed twice/],
    [{ headers: { 'Sec-WebSocket-Key': 'x' } }, TypeError, /set by the handshake itself/],
    [{ headers: { Upgrade: 'x' } }, TypeError, /set by the handshake itself/],
    [{ headers: { 'bad name': 'x' } }, TypeError, /not a header name/],
    [{ headers: { 'X-A': 'a\r\nInjected: 1' } }, TypeError, /without CR, LF or NUL/],
    [{ origin: 'http://a\nb' }, TypeError, /option origin/],
    [{ handshakeTimeout: 0 }, RangeError, /handshakeTimeout must be a positive number/],
    [{ handshakeTimeout: 2 ** 31 }, RangeError, /handshakeTimeout must be at most/],
    [{ maxPayload: -1 }, RangeError, /maxPayload/],
    [{ closeTimeout: NaN }, RangeError, /closeTimeout/],
    [{ maxRedirects: 1.5 }, RangeError, /maxRedirects must be a non-negative integer/],
    [{ backpressure: 'queue' }, TypeError, /backpressure must be 'close' or 'drop'/],
    [{ maxBufferedAmount: 10, sendHighWaterMark: 20 }, RangeError, /must not exceed maxBufferedAmount/],
  ])('refuses %j', async (options, type, message) => {
    const error = await refused(options);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(message);
  });
});

describe('URL', () => {
  it.each([
    ['not a url', /invalid URL/],
    ['http://127.0.0.1/', /must be ws:, wss: or ws\+unix:/],
    ['ws://127.0.0.1/#fragment', /must not have a fragment/],
    ['ws+unix::/path', /needs a socket path/],
  ])('refuses %s', async (url, message) => {
    const error = await refused({}, url);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
  });
});
