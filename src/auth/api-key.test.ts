import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateApiKey, hashApiKey, hashesEqual, keyPrefix } from './api-key.ts';

describe('generateApiKey', () => {
  it('makes "sb_<8 hex>_<43 base64url>" keys whose prefix is the public part', () => {
    const { key, prefix, hash } = generateApiKey();
    assert.match(key, /^sb_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    assert.match(prefix, /^sb_[0-9a-f]{8}$/);
    assert.ok(key.startsWith(`${prefix}_`));
    assert.equal(hash, hashApiKey(key));
  });

  it('never repeats a key or a prefix', () => {
    const keys = Array.from({ length: 200 }, () => generateApiKey());
    assert.equal(new Set(keys.map((k) => k.key)).size, keys.length);
    assert.equal(new Set(keys.map((k) => k.prefix)).size, keys.length);
  });

  it('carries 256 random bits in the secret', () => {
    const secret = generateApiKey().key.slice('sb_00000000_'.length);
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
  });
});

describe('hashApiKey', () => {
  it('is the hex SHA-256 of the whole key', () => {
    const key = 'sb_0123abcd_' + 'A'.repeat(43);
    assert.equal(hashApiKey(key), createHash('sha256').update(key).digest('hex'));
    assert.match(hashApiKey(key), /^[0-9a-f]{64}$/);
  });

  it('hashes non-ASCII text as UTF-8, like the createHash digests already stored', () => {
    // An admin key from configuration can be any text; its hash must not change with the hashing API.
    for (const key of ['clé-admin-ü', 'ключ', '鍵🔑']) {
      assert.equal(hashApiKey(key), createHash('sha256').update(key).digest('hex'), key);
    }
  });

  it('is deterministic and tells keys apart', () => {
    assert.equal(hashApiKey('same'), hashApiKey('same'));
    assert.notEqual(hashApiKey('sb_0123abcd_' + 'A'.repeat(43)), hashApiKey('sb_0123abcd_' + 'B'.repeat(43)));
  });

  it('does not contain the key', () => {
    const { key, hash } = generateApiKey();
    assert.ok(!hash.includes(key.slice(12)));
  });
});

describe('keyPrefix', () => {
  it('returns the public prefix of a well-formed key', () => {
    const { key, prefix } = generateApiKey();
    assert.equal(keyPrefix(key), prefix);
    assert.equal(keyPrefix('sb_deadbeef_' + 'x'.repeat(43)), 'sb_deadbeef');
    assert.equal(keyPrefix('sb_deadbeef_' + '-_'.repeat(21) + 'a'), 'sb_deadbeef');
  });

  it('returns undefined for anything else', () => {
    const secret = 'x'.repeat(43);
    for (const bad of [
      '', 'sb_deadbeef', `sb_deadbeef_${secret}x`, `sb_deadbeef_${secret.slice(1)}`, `sb_DEADBEEF_${secret}`,
      `sb_deadbee_${secret}`, `xx_deadbeef_${secret}`, `sb_deadbeef_${secret.slice(1)}=`, `sb_deadbeef_${secret} `,
      ` sb_deadbeef_${secret}`, `sk-${secret}`,
    ]) {
      assert.equal(keyPrefix(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('hashesEqual', () => {
  it('compares hex digests', () => {
    const a = hashApiKey('a');
    assert.equal(hashesEqual(a, hashApiKey('a')), true);
    assert.equal(hashesEqual(a, hashApiKey('b')), false);
  });

  it('is false, not a throw, for digests of different lengths', () => {
    assert.equal(hashesEqual(hashApiKey('a'), 'abcd'), false);
    assert.equal(hashesEqual('', hashApiKey('a')), false);
  });
});
