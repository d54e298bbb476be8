/**
 * RFC 6455 §4.1, §4.2.2 step 5.4 and §11.3.4: Sec-WebSocket-Protocol is a list of distinct
 * tokens, and the server answers with at most one that the client offered.
 */
import type { IncomingMessage } from 'node:http';
import { parseSubprotocolHeader } from '../../src/handshake/subprotocol-header';
import { selectSubprotocol } from '../../src/handshake/select-subprotocol';

const REQUEST = { url: '/chat' } as IncomingMessage;

describe('RFC 6455 §11.3.4: parseSubprotocolHeader', () => {
  it.each([
    ['chat', ['chat']],
    ['chat, superchat', ['chat', 'superchat']],
    ['  chat ,superchat  ', ['chat', 'superchat']],
    ['chat,,superchat', ['chat', 'superchat']],
    ['chat, Chat', ['chat', 'Chat']],
    ['v1.json.example.com, mqtt', ['v1.json.example.com', 'mqtt']],
    ['', []],
    [' , ', []],
  ])('parses %p', (header, expected) => {
    expect(parseSubprotocolHeader(header)).toEqual(expected);
  });

  it.each([
    ['a duplicate', 'chat, chat'],
    ['a duplicate far apart', 'a, b, c, a'],
    ['a space inside', 'a b'],
    ['a slash', 'a/b'],
    ['quotes', '"chat"'],
    ['a parameter', 'chat;v=1'],
    ['non-ASCII', 'chät'],
    ['brackets', '[chat]'],
  ])('gives null for %s: %p', (_name, header) => {
    expect(parseSubprotocolHeader(header)).toBeNull();
  });
});

describe('RFC 6455 §4.2.2 step 5.4: selectSubprotocol', () => {
  it('gives none when the server has no option', () => {
    expect(selectSubprotocol(undefined, ['chat'], REQUEST)).toBe('');
  });

  it("prefers the server's list order over the client's", () => {
    expect(selectSubprotocol(['superchat', 'chat'], ['chat', 'superchat'], REQUEST)).toBe('superchat');
  });

  it('picks the first of the list that was offered', () => {
    expect(selectSubprotocol(['mqtt', 'chat'], ['chat'], REQUEST)).toBe('chat');
  });

  it('gives none when nothing in the list was offered', () => {
    expect(selectSubprotocol(['mqtt'], ['chat'], REQUEST)).toBe('');
  });

  it('compares names case-sensitively', () => {
    expect(selectSubprotocol(['Chat'], ['chat'], REQUEST)).toBe('');
  });

  it('gives none, without calling the function, when nothing was offered', () => {
    const select = jest.fn(() => 'chat');
    expect(selectSubprotocol(select, [], REQUEST)).toBe('');
    expect(select).not.toHaveBeenCalled();
  });

  it('hands the function the offers and the request', () => {
    const select = jest.fn(() => 'b');
    expect(selectSubprotocol(select, ['a', 'b'], REQUEST)).toBe('b');
    expect(select).toHaveBeenCalledWith(['a', 'b'], REQUEST);
  });

  it.each([
    ['a protocol not offered', 'z'],
    ['undefined', undefined],
    ['null', null],
    ['false', false],
    ['the empty string', ''],
  ])('treats a function answer of %s as none', (_name, answer) => {
    expect(selectSubprotocol(() => answer as string, ['a', 'b'], REQUEST)).toBe('');
  });
});
