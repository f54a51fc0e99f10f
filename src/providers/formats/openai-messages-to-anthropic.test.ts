import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { ErrorCode } from '../../errors/catalogue.ts';
import { openaiMessagesToAnthropic } from './openai-messages-to-anthropic.ts';
import { toAnthropicToolId } from './tool-call-id.ts';

const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const PDF_B64 = 'JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURlY29kZT4+CnN0cmVhbQo=';

function rejects(messages: unknown, code: ErrorCode, param: string): void {
  assert.throws(() => openaiMessagesToAnthropic(messages), (err: unknown) => {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.param, param);
    return true;
  });
}

describe('openaiMessagesToAnthropic: roles and turns', () => {
  it('turns a user string into one text block', () => {
    assert.deepEqual(openaiMessagesToAnthropic([{ role: 'user', content: 'Hello, Claude' }]), {
      system: undefined,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello, Claude' }] }],
    });
  });

  it('hoists system and developer messages from any position, joined by "\\n"', () => {
    const out = openaiMessagesToAnthropic([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Hi' },
      { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }, { type: 'text', text: 'No emoji.' }] },
      { role: 'assistant', content: 'Bonjour' },
      { role: 'user', content: 'Thanks' },
    ]);
    assert.equal(out.system, 'You are terse.\nAnswer in French.\nNo emoji.');
    assert.deepEqual(out.messages.map((m) => m.role), ['user', 'assistant', 'user']);
  });

  it('drops blank system messages and rejects images in them', () => {
    assert.equal(openaiMessagesToAnthropic([{ role: 'system', content: '  ' }, { role: 'user', content: 'x' }]).system, undefined);
    rejects([{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }], 'SB_INVALID_REQUEST', 'messages.0.content');
  });

  it('merges consecutive user messages and consecutive assistant messages', () => {
    const out = openaiMessagesToAnthropic([
      { role: 'user', content: 'First' },
      { role: 'user', content: [{ type: 'text', text: 'Second' }] },
      { role: 'assistant', content: 'A' },
      { role: 'assistant', content: 'B' },
    ]);
    assert.deepEqual(out.messages, [
      { role: 'user', content: [{ type: 'text', text: 'First' }, { type: 'text', text: 'Second' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }] },
    ]);
  });

  it('drops the name field', () => {
    const out = openaiMessagesToAnthropic([{ role: 'user', name: 'alice', content: 'Hi' }]);
    assert.deepEqual(out.messages[0], { role: 'user', content: [{ type: 'text', text: 'Hi' }] });
  });

  it('rejects a conversation with no non-system content', () => {
    rejects([{ role: 'system', content: 'Only a system prompt' }], 'SB_INVALID_REQUEST', 'messages');
    rejects([], 'SB_INVALID_REQUEST', 'messages');
    rejects([{ role: 'user', content: '' }], 'SB_INVALID_REQUEST', 'messages');
  });
});

describe('openaiMessagesToAnthropic: tool calls and results', () => {
  /** A parallel tool-call turn as the OpenAI SDK sends it back (content "" next to tool_calls). */
  const parallel = [
    { role: 'user', content: 'Weather in Paris and Tokyo?' },
    {
      role: 'assistant',
      content: '',
      tool_calls: [
        { id: 'call_O17Uplv4lJvD6DVdIvFFeRMw', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_Yk2fT9rM3nB8vC1xZ6wQ4pLs', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_O17Uplv4lJvD6DVdIvFFeRMw', content: '18°C, cloudy' },
    { role: 'tool', tool_call_id: 'call_Yk2fT9rM3nB8vC1xZ6wQ4pLs', content: '24°C, sunny' },
  ];

  it('turns tool_calls into tool_use blocks without an empty text block', () => {
    const assistant = openaiMessagesToAnthropic(parallel).messages[1];
    assert.deepEqual(assistant, {
      role: 'assistant',
      content: [
        { type: 'tool_use', id: 'call_O17Uplv4lJvD6DVdIvFFeRMw', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_Yk2fT9rM3nB8vC1xZ6wQ4pLs', name: 'get_weather', input: { city: 'Tokyo' } },
      ],
    });
  });

  it('aggregates consecutive tool messages into one user turn (Portkey-AI/gateway#980)', () => {
    const out = openaiMessagesToAnthropic(parallel);
    assert.equal(out.messages.length, 3);
    assert.deepEqual(out.messages[2], {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'call_O17Uplv4lJvD6DVdIvFFeRMw', content: '18°C, cloudy' },
        { type: 'tool_result', tool_use_id: 'call_Yk2fT9rM3nB8vC1xZ6wQ4pLs', content: '24°C, sunny' },
      ],
    });
  });

  it('puts tool results before the user text that follows them in the same turn', () => {
    const out = openaiMessagesToAnthropic([...parallel, { role: 'user', content: 'Which is warmer?' }]);
    const blocks = out.messages[2]!.content as Array<{ type: string }>;
    assert.deepEqual(blocks.map((b) => b.type), ['tool_result', 'tool_result', 'text']);
  });

  it('keeps text that came with tool calls before the tool_use blocks', () => {
    const out = openaiMessagesToAnthropic([
      { role: 'user', content: 'Go' },
      { role: 'assistant', content: 'Checking both.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    ]);
    assert.deepEqual((out.messages[1]!.content as Array<{ type: string }>).map((b) => b.type), ['text', 'tool_use']);
  });

  it('wraps invalid JSON arguments and maps "" to {}', () => {
    const out = openaiMessagesToAnthropic([
      { role: 'user', content: 'Go' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'search', arguments: '{"q": "unterminated' } },
          { id: 'call_2', type: 'function', function: { name: 'now', arguments: '' } },
        ],
      },
    ]);
    const [first, second] = out.messages[1]!.content as Array<{ input: unknown }>;
    assert.deepEqual(first!.input, { rawInvalidInput: '{"q": "unterminated' });
    assert.deepEqual(second!.input, {});
  });

  it('sanitizes foreign ids the same way in tool_use and tool_result', () => {
    const out = openaiMessagesToAnthropic([
      { role: 'user', content: 'ls' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'functions.Bash:0', type: 'function', function: { name: 'Bash', arguments: '{"command":"ls"}' } }] },
      { role: 'tool', tool_call_id: 'functions.Bash:0', content: 'README.md' },
    ]);
    const use = (out.messages[1]!.content as Array<{ id: string }>)[0]!;
    const result = (out.messages[2]!.content as Array<{ tool_use_id: string }>)[0]!;
    assert.match(use.id, /^[a-zA-Z0-9_-]+$/);
    assert.equal(use.id, toAnthropicToolId('functions.Bash:0'));
    assert.equal(result.tool_use_id, use.id);
  });

  it('keeps text-part tool content as blocks and omits content for empty results', () => {
    const out = openaiMessagesToAnthropic([
      { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'line 1' }, { type: 'text', text: '' }] },
      { role: 'tool', tool_call_id: 'call_2', content: '' },
    ]);
    assert.deepEqual(out.messages[0]!.content, [
      { type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'text', text: 'line 1' }] },
      { type: 'tool_result', tool_use_id: 'call_2' },
    ]);
  });

  it('allows images in tool results but not documents', () => {
    const out = openaiMessagesToAnthropic([{ role: 'tool', tool_call_id: 'call_1', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}` } }] }]);
    assert.deepEqual(out.messages[0]!.content, [{ type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } }] }]);
    rejects([{ role: 'tool', tool_call_id: 'c', content: [{ type: 'file', file: { file_data: PDF_B64 } }] }], 'SB_INVALID_REQUEST', 'messages.0.content');
  });

  it('maps the deprecated function_call / function messages with generated ids', () => {
    const out = openaiMessagesToAnthropic([
      { role: 'user', content: 'Time?' },
      { role: 'assistant', content: null, function_call: { name: 'now', arguments: '{"tz":"UTC"}' } },
      { role: 'function', name: 'now', content: '12:00' },
    ]);
    assert.deepEqual(out.messages.slice(1), [
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_legacy_1', name: 'now', input: { tz: 'UTC' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_legacy_1', content: '12:00' }] },
    ]);
    rejects([{ role: 'function', name: 'now', content: '12:00' }], 'SB_INVALID_REQUEST', 'messages.0');
  });

  it('rejects malformed tool calls and tool messages with the field at fault', () => {
    rejects([{ role: 'tool', content: 'x' }], 'SB_INVALID_REQUEST', 'messages.0.tool_call_id');
    rejects([{ role: 'assistant', tool_calls: 'nope' }], 'SB_INVALID_REQUEST', 'messages.0.tool_calls');
    rejects([{ role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'f' } }] }], 'SB_INVALID_REQUEST', 'messages.0.tool_calls.0.id');
    rejects([{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: {} }] }], 'SB_INVALID_REQUEST', 'messages.0.tool_calls.0.function.name');
    rejects([{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function' }] }], 'SB_INVALID_REQUEST', 'messages.0.tool_calls.0.function.name');
  });
});

describe('openaiMessagesToAnthropic: content parts', () => {
  it('converts base64 images and http(s) image URLs, dropping detail', () => {
    const out = openaiMessagesToAnthropic([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these:' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}`, detail: 'high' } },
          { type: 'image_url', image_url: { url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
        ],
      },
    ]);
    assert.deepEqual(out.messages[0]!.content, [
      { type: 'text', text: 'Compare these:' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } },
      { type: 'image', source: { type: 'url', url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
    ]);
  });

  it('accepts JPEG, GIF and WebP and rejects other image types with the field path', () => {
    for (const type of ['image/jpeg', 'image/gif', 'image/webp']) {
      const out = openaiMessagesToAnthropic([{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:${type};base64,AAAA` } }] }]);
      assert.deepEqual(out.messages[0]!.content, [{ type: 'image', source: { type: 'base64', media_type: type, data: 'AAAA' } }]);
    }
    rejects([{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }] }], 'SB_UNSUPPORTED_PARAMETER', 'messages.0.content.1.image_url.url');
  });

  it('rejects image URLs that are neither http(s) nor base64 data', () => {
    rejects([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://example.com/a.png' } }] }], 'SB_INVALID_REQUEST', 'messages.0.content.0.image_url.url');
    rejects([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,raw' } }] }], 'SB_INVALID_REQUEST', 'messages.0.content.0.image_url.url');
    rejects([{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }], 'SB_INVALID_REQUEST', 'messages.0.content.0.image_url.url');
  });

  it('turns PDF file parts into document blocks titled by filename', () => {
    const out = openaiMessagesToAnthropic([
      {
        role: 'user',
        content: [
          { type: 'file', file: { filename: 'q3-report.pdf', file_data: `data:application/pdf;base64,${PDF_B64}` } },
          { type: 'file', file: { file_data: PDF_B64 } },
          { type: 'text', text: 'Summarize both.' },
        ],
      },
    ]);
    assert.deepEqual(out.messages[0]!.content, [
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF_B64 }, title: 'q3-report.pdf' },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF_B64 } },
      { type: 'text', text: 'Summarize both.' },
    ]);
  });

  it('turns PDF data URLs and .pdf links in image_url into documents (Envoy)', () => {
    const out = openaiMessagesToAnthropic([
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: `data:application/pdf;base64,${PDF_B64}` } },
          { type: 'image_url', image_url: { url: 'https://arxiv.org/pdf/1706.03762v7.PDF?download=1' } },
        ],
      },
    ]);
    assert.deepEqual(out.messages[0]!.content, [
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF_B64 } },
      { type: 'document', source: { type: 'url', url: 'https://arxiv.org/pdf/1706.03762v7.PDF?download=1' } },
    ]);
  });

  it('rejects OpenAI file ids, audio input and unknown part types', () => {
    rejects([{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-abc123' } }] }], 'SB_UNSUPPORTED_PARAMETER', 'messages.0.content.0.file.file_id');
    rejects([{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }], 'SB_UNSUPPORTED_PARAMETER', 'messages.0.content.0');
    rejects([{ role: 'user', content: [{ type: 'video_url' }] }], 'SB_INVALID_REQUEST', 'messages.0.content.0.type');
    rejects([{ role: 'user', content: [{ type: 'file', file: {} }] }], 'SB_INVALID_REQUEST', 'messages.0.content.0.file.file_data');
    rejects([{ role: 'user', content: [{ type: 'file', file: { file_data: 'data:application/pdf,raw' } }] }], 'SB_INVALID_REQUEST', 'messages.0.content.0.file.file_data');
  });
});

describe('openaiMessagesToAnthropic: empty content never becomes an empty text block', () => {
  it('drops empty and whitespace-only text, and messages left with nothing', () => {
    const out = openaiMessagesToAnthropic([
      { role: 'user', content: 'Q1' },
      { role: 'assistant', content: '' },
      { role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: ' \n' }] },
      { role: 'user', content: null },
      { role: 'user', content: 'Q2' },
    ]);
    assert.deepEqual(out.messages, [{ role: 'user', content: [{ type: 'text', text: 'Q1' }, { type: 'text', text: 'Q2' }] }]);
  });

  it('never emits a text block with empty text anywhere in a realistic agent history', () => {
    const out = openaiMessagesToAnthropic([
      { role: 'system', content: '' },
      { role: 'user', content: 'Fix the bug' },
      { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read', arguments: '{"path":"a.ts"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '' },
      { role: 'assistant', content: [{ type: 'text', text: '' }], refusal: null },
      { role: 'user', content: ' ' },
      { role: 'user', content: 'Continue' },
    ]);
    const texts = out.messages.flatMap((m) => m.content as Array<{ type: string; text?: string }>).filter((b) => b.type === 'text');
    assert.ok(texts.every((b) => (b.text ?? '').trim() !== ''), JSON.stringify(out.messages));
  });

  it('turns an assistant refusal into text', () => {
    const out = openaiMessagesToAnthropic([{ role: 'user', content: 'x' }, { role: 'assistant', content: null, refusal: "I can't help with that." }, { role: 'user', content: 'ok' }]);
    assert.deepEqual(out.messages[1], { role: 'assistant', content: [{ type: 'text', text: "I can't help with that." }] });
  });

  it('rejects images in assistant messages', () => {
    rejects([{ role: 'assistant', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }], 'SB_INVALID_REQUEST', 'messages.0.content');
  });
});

describe('openaiMessagesToAnthropic: final assistant prefill', () => {
  it('trims trailing whitespace of a final assistant message (vercel/ai#2124)', () => {
    const out = openaiMessagesToAnthropic([{ role: 'user', content: 'Write JSON' }, { role: 'assistant', content: '{"answer": \n  ' }]);
    assert.deepEqual(out.messages[1], { role: 'assistant', content: [{ type: 'text', text: '{"answer":' }] });
  });

  it('leaves earlier assistant messages and leading whitespace alone', () => {
    const out = openaiMessagesToAnthropic([{ role: 'user', content: 'a' }, { role: 'assistant', content: '  b  ' }, { role: 'user', content: 'c' }]);
    assert.deepEqual(out.messages[1], { role: 'assistant', content: [{ type: 'text', text: '  b  ' }] });
  });

  it('does not touch a final assistant turn that ends with a tool call', () => {
    const out = openaiMessagesToAnthropic([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'Let me check. ', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }]);
    assert.equal((out.messages[1]!.content as Array<{ text?: string }>)[0]!.text, 'Let me check. ');
  });
});

describe('openaiMessagesToAnthropic: malformed input', () => {
  it('rejects shapes with the exact field at fault', () => {
    rejects('hello', 'SB_INVALID_REQUEST', 'messages');
    rejects(null, 'SB_INVALID_REQUEST', 'messages');
    rejects([42], 'SB_INVALID_REQUEST', 'messages.0');
    rejects([{ role: 'user', content: 'x' }, { role: 'robot', content: 'x' }], 'SB_INVALID_REQUEST', 'messages.1.role');
    rejects([{ content: 'x' }], 'SB_INVALID_REQUEST', 'messages.0.role');
    rejects([{ role: 'user', content: 42 }], 'SB_INVALID_REQUEST', 'messages.0.content');
    rejects([{ role: 'user', content: [null] }], 'SB_INVALID_REQUEST', 'messages.0.content.0');
    rejects([{ role: 'user', content: [{ type: 'text', text: 5 }] }], 'SB_INVALID_REQUEST', 'messages.0.content.0.text');
  });

  it('answers any garbage with a GatewayError, never a crash', () => {
    const garbage: unknown[] = [undefined, null, 0, -1, '', 'x', true, [], {}, [[]], [{}], { role: 'user' }, Number.NaN, [null]];
    const shapes = (g: unknown): unknown[] => [
      g,
      [g],
      [{ role: g, content: 'x' }],
      [{ role: 'user', content: g }],
      [{ role: 'user', content: [g] }],
      [{ role: 'user', content: [{ type: 'image_url', image_url: g }] }],
      [{ role: 'user', content: [{ type: 'file', file: g }] }],
      [{ role: 'assistant', content: g, tool_calls: [g] }],
      [{ role: 'assistant', tool_calls: [{ id: 'c', function: g }] }],
      [{ role: 'assistant', function_call: g }],
      [{ role: 'tool', tool_call_id: g, content: g }],
      [{ role: 'system', content: [g] }],
    ];
    for (const g of garbage) {
      for (const messages of shapes(g)) {
        try {
          openaiMessagesToAnthropic(messages);
        } catch (err) {
          assert.ok(err instanceof GatewayError, `${JSON.stringify(messages)} threw ${String(err)}`);
        }
      }
    }
  });
});
