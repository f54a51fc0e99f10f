import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromAnthropicToolId, mintToolId, toAnthropicToolId } from './tool-call-id.ts';

const ANTHROPIC_ID = /^[a-zA-Z0-9_-]+$/;

describe('toAnthropicToolId', () => {
  it('passes valid ids through unchanged', () => {
    for (const id of ['call_O17Uplv4lJvD6DVdIvFFeRMw', 'toolu_01DBsB4vvYLnBDzZ5rBSxSLs', 'a', 'x-y_z-0']) assert.equal(toAnthropicToolId(id), id);
  });

  it('rewrites foreign ids to the Anthropic charset (bifrost#5097)', () => {
    for (const id of ['functions.Bash:0', 'call 1', 'tool/123', 'ид', '👋', '', 'a.b']) {
      assert.match(toAnthropicToolId(id), ANTHROPIC_ID, id);
    }
  });

  it('is deterministic, so a tool_use and its tool_result still match', () => {
    assert.equal(toAnthropicToolId('functions.Bash:0'), toAnthropicToolId('functions.Bash:0'));
  });

  it('is injective, including ids that look like its own output and lone surrogates', () => {
    const encodedOfA = toAnthropicToolId('a.');
    const ids = ['a.', 'a:', 'a_', 'a-', 'a', encodedOfA, `${encodedOfA}x`, 'sb--', 'sb--x', '\ud800', '\ud801', '\ufffd', 'functions.Bash:0', 'functions.Bash:1', ''];
    const out = ids.map(toAnthropicToolId);
    assert.equal(new Set(out).size, ids.length, out.join(' '));
    assert.ok(out.every((id) => ANTHROPIC_ID.test(id)));
  });

  it('is reversed by fromAnthropicToolId', () => {
    for (const id of ['functions.Bash:0', 'call_abc', 'sb--x', '\ud800', '', 'tool/ünï']) assert.equal(fromAnthropicToolId(toAnthropicToolId(id)), id);
  });
});

describe('fromAnthropicToolId', () => {
  it('leaves ids it did not encode alone, even malformed ones with the marker', () => {
    assert.equal(fromAnthropicToolId('toolu_01A'), 'toolu_01A');
    assert.equal(fromAnthropicToolId('sb--!!!'), 'sb--!!!');
    assert.equal(fromAnthropicToolId(`sb--${Buffer.from('42').toString('base64url')}`), `sb--${Buffer.from('42').toString('base64url')}`);
  });
});

describe('mintToolId', () => {
  it('mints distinct ids with the dialect prefix', () => {
    const a = mintToolId('toolu');
    assert.match(a, /^toolu_[0-9a-f]{32}$/);
    assert.match(mintToolId('call'), /^call_/);
    assert.notEqual(a, mintToolId('toolu'));
  });
});
