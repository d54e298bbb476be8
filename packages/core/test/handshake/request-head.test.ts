/**
 * The request-head reader and parser (request-head.ts), sans I/O: where a head ends across
 * chunks, what is left after it, the size limit, and the grammar the parser holds requests to.
 */
import fc from 'fast-check';
import { isRejection } from '../../src/handshake/handshake';
import {
  REQUEST_FIELDS_LIMIT,
  REQUEST_HEAD_LIMIT,
  RequestHeadReader,
  parseRequestHead,
} from '../../src/handshake/request-head';

const HEAD = 'GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\r\n';

describe('RequestHeadReader', () => {
  it('reads a head in one chunk where it lies, with the bytes after it', () => {
    const read = new RequestHeadReader().push(Buffer.from(HEAD + 'FRAMES'));
    expect(read).toEqual({ text: HEAD.slice(0, -4), rest: Buffer.from('FRAMES') });
  });

  it('finds the end wherever the chunks are cut, and keeps every byte after it (fast-check)', () => {
    const whole = Buffer.from(HEAD + 'tail bytes');
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), whole.length];
        const reader = new RequestHeadReader();
        let read = null;
        let restAfter = Buffer.alloc(0);
        for (let i = 0; i + 1 < points.length; i++) {
          const chunk = whole.subarray(points[i], points[i + 1]);
          if (read === null) read = reader.push(chunk);
          else restAfter = Buffer.concat([restAfter, chunk]);
        }
        expect(read).not.toBeNull();
        if (read === null || isRejection(read)) throw new Error('no head');
        expect(read.text).toBe(HEAD.slice(0, -4));
        expect(Buffer.concat([read.rest, restAfter]).toString()).toBe('tail bytes');
      }),
    );
  });

  it('holds a head that trickles in a byte at a time and reads it at its last byte', () => {
    const reader = new RequestHeadReader();
    const bytes = Buffer.from(HEAD);
    for (let i = 0; i < bytes.length - 1; i++) expect(reader.push(bytes.subarray(i, i + 1))).toBeNull();
    expect(reader.push(bytes.subarray(bytes.length - 1))).toEqual({ text: HEAD.slice(0, -4), rest: Buffer.alloc(0) });
  });

  it.each([
    ['in one chunk', [REQUEST_HEAD_LIMIT + 10]],
    ['over many chunks', Array.from({ length: 40 }, () => 1000)],
    ['a head that ends just past the limit', [REQUEST_HEAD_LIMIT - 3]],
  ])(`refuses a head past ${REQUEST_HEAD_LIMIT} bytes with 431: %s`, (_name, sizes) => {
    const reader = new RequestHeadReader();
    let result = null;
    for (const size of sizes) {
      result = reader.push(Buffer.alloc(size, 'a'));
      if (result !== null) break;
    }
    if (result === null) result = reader.push(Buffer.from('\r\n\r\n'));
    expect(result).toMatchObject({ status: 431 });
  });

  it('accepts a head of exactly the limit', () => {
    const filler = REQUEST_HEAD_LIMIT - HEAD.length;
    const head = HEAD.replace('\r\n\r\n', `\r\nX: ${'x'.repeat(filler - 5)}\r\n\r\n`);
    expect(Buffer.byteLength(head)).toBe(REQUEST_HEAD_LIMIT);
    const read = new RequestHeadReader().push(Buffer.from(head));
    expect(read).toMatchObject({ text: head.slice(0, -4) });
  });
});

describe('parseRequestHead', () => {
  it('gives the method, target, version and the fields as sent, values without surrounding OWS', () => {
    expect(parseRequestHead('GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Y:\t two words \t\r\nEmpty:')).toEqual({
      method: 'GET',
      url: '/a?b=1',
      httpVersionMajor: 1,
      httpVersionMinor: 1,
      rawHeaders: ['Host', 'x', 'X-Y', 'two words', 'Empty', ''],
    });
  });

  it('skips one CRLF before the request line, as RFC 9112 §2.2 asks', () => {
    expect(parseRequestHead('\r\nGET / HTTP/1.1\r\nHost: x')).toMatchObject({
      method: 'GET',
      rawHeaders: ['Host', 'x'],
    });
  });

  it('reads obs-text in a value as Latin-1 and HTTP/1.0 as such (the handshake refuses it later)', () => {
    const head = parseRequestHead('GET / HTTP/1.0\r\nX: caf\xe9');
    expect(head).toMatchObject({ httpVersionMinor: 0, rawHeaders: ['X', 'caf\xe9'] });
  });

  it('reads a higher minor version as 1.1 (RFC 9112 §2.3) and refuses HTTP/2.0 with 505', () => {
    expect(parseRequestHead('GET / HTTP/1.2\r\nHost: x')).toMatchObject({ httpVersionMajor: 1, httpVersionMinor: 2 });
    expect(parseRequestHead('GET / HTTP/2.0\r\nHost: x')).toMatchObject({ status: 505 });
  });

  it(`takes ${REQUEST_FIELDS_LIMIT} header fields and refuses one more with 431`, () => {
    const fields = (count: number): string => Array.from({ length: count }, (_, i) => `X${i}: ${i}`).join('\r\n');
    const most = parseRequestHead(`GET / HTTP/1.1\r\n${fields(REQUEST_FIELDS_LIMIT)}`);
    expect(isRejection(most) ? most : most.rawHeaders.length).toBe(2 * REQUEST_FIELDS_LIMIT);
    expect(parseRequestHead(`GET / HTTP/1.1\r\n${fields(REQUEST_FIELDS_LIMIT + 1)}`)).toMatchObject({ status: 431 });
  });

  it('gives the target and values equal to what was sent, however long', () => {
    const target = `/${'t'.repeat(60)}?q=1`;
    const value = 'v'.repeat(13);
    expect(parseRequestHead(`GET ${target} HTTP/1.1\r\nA: ${value}\r\nB: short`)).toMatchObject({
      url: target,
      rawHeaders: ['A', value, 'B', 'short'],
    });
  });

  it.each([
    ['an empty request line', ''],
    ['a lower-case version', 'GET / http/1.1'],
    ['a target with a control character', 'GET /a\rb HTTP/1.1'],
    ['a target with non-ASCII', 'GET /caf\xe9 HTTP/1.1'],
    ['a method with a separator', 'G(ET / HTTP/1.1'],
    ['an extra part', 'GET / HTTP/1.1 extra'],
    ['a version of two digits', 'GET / HTTP/1.10'],
    ['a header name with a space', 'GET / HTTP/1.1\r\nX Y: z'],
    ['an empty header name', 'GET / HTTP/1.1\r\n: z'],
    ['a folded line', 'GET / HTTP/1.1\r\nX: a\r\n b'],
    ['a DEL in a value', 'GET / HTTP/1.1\r\nX: a\x7fb'],
    ['a bare CR in a value', 'GET / HTTP/1.1\r\nX: a\rb'],
    ['a bare LF in a value', 'GET / HTTP/1.1\r\nX: a\nb'],
  ])('refuses %s with 400', (_name, text) => {
    expect(parseRequestHead(text)).toMatchObject({ status: 400 });
  });

  it('never throws and never accepts a control character in what it returns (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 200 }), (tail) => {
        const head = parseRequestHead(`GET / HTTP/1.1\r\n${tail}`);
        if (isRejection(head)) return;
        for (const part of [head.url, ...head.rawHeaders]) expect(/[\x00-\x08\x0a-\x1f\x7f]/.test(part)).toBe(false);
      }),
    );
  });
});
