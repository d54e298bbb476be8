/**
 * RFC 6455 §5.4 (fragmentation) and §8.1 (text must be UTF-8, checked across fragments): a code
 * point may be split anywhere between frames, and the first byte that cannot be UTF-8 fails the
 * connection with 1007 without waiting for the message to end.
 */
import { Opcode } from '@ws/core';
import { masked } from '../helpers/sans-io-frames';
import { SansIo, expectFailure, expectNoFailure } from '../helpers/sans-io-harness';

/** `body` as a text message split at `cuts` (each piece its own frame). */
function fragmented(body: Buffer, cuts: readonly number[]): Buffer[] {
  const bounds = [0, ...cuts, body.length];
  const frames: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    frames.push(
      masked(i === 0 ? Opcode.Text : Opcode.Continuation, body.subarray(bounds[i], bounds[i + 1]), {
        fin: i + 2 === bounds.length,
      }),
    );
  }
  return frames;
}

function everyCut(length: number): number[][] {
  const cuts: number[][] = [];
  for (let a = 1; a < length; a++) {
    cuts.push([a]);
    for (let b = a + 1; b < length; b++) cuts.push([a, b]);
  }
  return cuts;
}

const wrap = (bytes: number[]): Buffer => Buffer.from([0x61, 0x62, ...bytes, 0x63, 0x64]);

const VALID: [string, number[]][] = [
  ['U+007F', [0x7f]],
  ['é U+00E9', [0xc3, 0xa9]],
  ['U+0800', [0xe0, 0xa0, 0x80]],
  ['€ U+20AC', [0xe2, 0x82, 0xac]],
  ['U+D7FF', [0xed, 0x9f, 0xbf]],
  ['U+E000', [0xee, 0x80, 0x80]],
  ['U+10000', [0xf0, 0x90, 0x80, 0x80]],
  ['𝄞 U+1D11E', [0xf0, 0x9d, 0x84, 0x9e]],
  ['U+10FFFF', [0xf4, 0x8f, 0xbf, 0xbf]],
];

const INVALID: [string, number[]][] = [
  ['overlong C0 80', [0xc0, 0x80]],
  ['overlong C1 BF', [0xc1, 0xbf]],
  ['overlong E0 80 80', [0xe0, 0x80, 0x80]],
  ['overlong F0 80 80 80', [0xf0, 0x80, 0x80, 0x80]],
  ['surrogate ED A0 80', [0xed, 0xa0, 0x80]],
  ['surrogate ED BF BF', [0xed, 0xbf, 0xbf]],
  ['above U+10FFFF F4 90 80 80', [0xf4, 0x90, 0x80, 0x80]],
  ['F5 80 80 80', [0xf5, 0x80, 0x80, 0x80]],
  ['lone continuation 80', [0x80]],
  ['missing continuation E2 82 41', [0xe2, 0x82, 0x41]],
  ['FF', [0xff]],
];

describe('RFC 6455 §5.4: fragmented messages', () => {
  it('joins text fragments into one string', () => {
    const io = new SansIo().receive(...fragmented(Buffer.from('fragmented'), [1, 4, 9]));
    expect(io.events).toEqual([{ type: 'message', data: 'fragmented', isBinary: false }]);
  });

  it('joins binary fragments into one Buffer', () => {
    const io = new SansIo().receive(
      masked(Opcode.Binary, [1], { fin: false }),
      masked(Opcode.Continuation, [2, 3], { fin: false }),
      masked(Opcode.Continuation, [4]),
    );
    expect(io.events).toEqual([{ type: 'message', data: Buffer.from([1, 2, 3, 4]), isBinary: true }]);
  });

  it('accepts empty fragments anywhere', () => {
    const io = new SansIo().receive(
      masked(Opcode.Text, '', { fin: false }),
      masked(Opcode.Continuation, 'x', { fin: false }),
      masked(Opcode.Continuation, '', { fin: false }),
      masked(Opcode.Continuation, ''),
    );
    expect(io.messages()).toEqual(['x']);
  });

  it('delivers an all-empty fragmented binary message as an empty Buffer', () => {
    const io = new SansIo().receive(masked(Opcode.Binary, '', { fin: false }), masked(Opcode.Continuation, ''));
    expect(io.messages()).toEqual([Buffer.alloc(0)]);
  });

  it('delivers two messages in a row, each from its own fragments', () => {
    const io = new SansIo().receive(
      ...fragmented(Buffer.from('one'), [1]),
      masked(Opcode.Binary, 'tw', { fin: false }),
      masked(Opcode.Continuation, 'o'),
    );
    expect(io.messages()).toEqual(['one', Buffer.from('two')]);
  });
});

describe('RFC 6455 §8.1: valid UTF-8 split at every position passes', () => {
  it.each(VALID)('%s', (_name, bytes) => {
    const body = wrap(bytes);
    const expected = body.toString('utf8');
    for (const cuts of everyCut(body.length)) {
      const io = new SansIo().receive(...fragmented(body, cuts));
      expectNoFailure(io);
      expect(io.messages()).toEqual([expected]);
    }
  });

  it.each(VALID)('%s, every byte its own frame', (_name, bytes) => {
    const body = wrap(bytes);
    const io = new SansIo().receive(
      ...fragmented(
        body,
        Array.from({ length: body.length - 1 }, (_, i) => i + 1),
      ),
    );
    expect(io.messages()).toEqual([body.toString('utf8')]);
  });
});

describe('RFC 6455 §8.1: invalid UTF-8 split at every position fails with 1007', () => {
  it.each(INVALID)('%s, in one frame', (_name, bytes) => {
    const io = new SansIo().receive(masked(Opcode.Text, wrap(bytes)));
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
  });

  it.each(INVALID)('%s, at every cut', (_name, bytes) => {
    const body = wrap(bytes);
    for (const cuts of everyCut(body.length)) {
      const io = new SansIo().receive(...fragmented(body, cuts));
      expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
      expect(io.messages()).toEqual([]);
    }
  });

  it.each([
    ['E2 82', [0xe2, 0x82]],
    ['F0 9F 98', [0xf0, 0x9f, 0x98]],
    ['C3', [0xc3]],
  ])('a message that ends mid code point (%s) fails at every cut', (_name, bytes) => {
    const body = Buffer.from([0x61, ...bytes]);
    for (const cuts of [[], ...everyCut(body.length)]) {
      const io = new SansIo().receive(...fragmented(body, cuts));
      expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
    }
  });

  it('accepts a binary message with the same bytes', () => {
    const io = new SansIo().receive(
      masked(Opcode.Binary, [0xc0, 0x80], { fin: false }),
      masked(Opcode.Continuation, [0xff]),
    );
    expect(io.messages()).toEqual([Buffer.from([0xc0, 0x80, 0xff])]);
  });
});

describe('RFC 6455 §8.1: fail at the first invalid byte, not at the end of the message', () => {
  it.each([
    ['E0 | 80', [0xe0], [0x80]],
    ['ED | A0', [0xed], [0xa0]],
    ['F4 | 90', [0xf4], [0x90]],
    ['61 | FF', [0x61], [0xff]],
    ['F0 9F | 41', [0xf0, 0x9f], [0x41]],
  ])('%s fails before the final fragment arrives', (_name, first, second) => {
    const io = new SansIo().receive(
      masked(Opcode.Text, first, { fin: false }),
      masked(Opcode.Continuation, second, { fin: false }),
    );
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
  });

  it('does not fail on a code point still open between fragments', () => {
    const io = new SansIo().receive(
      masked(Opcode.Text, [0xf0, 0x9f], { fin: false }),
      masked(Opcode.Continuation, [0x98], { fin: false }),
    );
    expectNoFailure(io);
    io.receive(masked(Opcode.Continuation, [0x80]));
    expect(io.messages()).toEqual(['😀']);
  });

  it('starts the next message with a fresh UTF-8 state after a valid one', () => {
    const io = new SansIo().receive(
      ...fragmented(Buffer.from('é'), [1]),
      masked(Opcode.Text, [0xa9]), // a lone continuation: must not be read as the end of 'é'
    );
    expect(io.messages()).toEqual(['é']);
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
  });
});
