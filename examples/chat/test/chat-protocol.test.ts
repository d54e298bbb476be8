import { DEFAULT_LIMITS, parseClientMessage, type ChatLimits } from '../src/chat-protocol';

const small: ChatLimits = { ...DEFAULT_LIMITS, name: 8, text: 10 };

describe('parseClientMessage: messages the page sends', () => {
  it.each([
    ['join', '{"type":"join","name":"alice"}', { type: 'join', name: 'alice' }],
    ['join trims the name', '{"type":"join","name":"  bob \\t"}', { type: 'join', name: 'bob' }],
    ['join with a name of exactly the limit', '{"type":"join","name":"12345678"}', { type: 'join', name: '12345678' }],
    ['join with a non-ASCII name', '{"type":"join","name":"Zoë 🐙"}', { type: 'join', name: 'Zoë 🐙' }],
    ['leave', '{"type":"leave"}', { type: 'leave' }],
    ['message', '{"type":"message","text":"hi"}', { type: 'message', text: 'hi' }],
    ['message keeps its whitespace', '{"type":"message","text":" a\\nb "}', { type: 'message', text: ' a\nb ' }],
    ['message of exactly the limit', '{"type":"message","text":"0123456789"}', { type: 'message', text: '0123456789' }],
  ])('%s', (_name, text, message) => {
    expect(parseClientMessage(text, small)).toEqual({ kind: 'ok', message });
  });
});

describe('parseClientMessage: mistakes a user can make are answered, not fatal', () => {
  it.each([
    ['empty name', '{"type":"join","name":""}', 'invalid-name'],
    ['blank name', '{"type":"join","name":"   "}', 'invalid-name'],
    ['name over the limit', '{"type":"join","name":"123456789"}', 'invalid-name'],
    ['name with a newline', '{"type":"join","name":"a\\nb"}', 'invalid-name'],
    ['name with a NUL', '{"type":"join","name":"a\\u0000"}', 'invalid-name'],
    ['name with a C1 control', '{"type":"join","name":"a\\u0085"}', 'invalid-name'],
    ['name with a line separator', '{"type":"join","name":"a\\u2028b"}', 'invalid-name'],
    ['empty message', '{"type":"message","text":""}', 'empty-message'],
    ['blank message', '{"type":"message","text":" \\n\\t"}', 'empty-message'],
    ['message over the limit', '{"type":"message","text":"01234567890"}', 'too-long'],
  ])('%s', (_name, text, code) => {
    expect(parseClientMessage(text, small)).toMatchObject({ kind: 'error', code });
  });
});

describe('parseClientMessage: what our page never sends closes the connection', () => {
  it.each([
    ['text that is not JSON', 1003, 'hello'],
    ['truncated JSON', 1003, '{"type":"join"'],
    ['empty text', 1003, ''],
    ['a JSON string', 1008, '"join"'],
    ['a JSON number', 1008, '42'],
    ['JSON null', 1008, 'null'],
    ['a JSON array', 1008, '[{"type":"leave"}]'],
    ['no type', 1008, '{"name":"alice"}'],
    ['unknown type', 1008, '{"type":"kick","id":1}'],
    ['type of the wrong case', 1008, '{"type":"JOIN","name":"a"}'],
    ['type that is not a string', 1008, '{"type":1}'],
    ['a name that is a number', 1008, '{"type":"join","name":7}'],
    ['a name that is an object', 1008, '{"type":"join","name":{"toString":"x"}}'],
    ['join without a name', 1008, '{"type":"join"}'],
    ['join claiming an id', 1008, '{"type":"join","name":"alice","id":1}'],
    ['message claiming an author', 1008, '{"type":"message","text":"hi","user":{"id":1,"name":"admin"}}'],
    ['message with text that is an array', 1008, '{"type":"message","text":["hi"]}'],
    ['message without text', 1008, '{"type":"message"}'],
    ['leave with extra fields', 1008, '{"type":"leave","id":3}'],
    ['__proto__ key', 1008, '{"type":"leave","__proto__":{"x":1}}'],
  ])('%s → %i', (_name, closeCode, text) => {
    expect(parseClientMessage(text, small)).toMatchObject({ kind: 'close', closeCode });
  });
});
