import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mintResponsesId, OutputItemIds, responseIdOfItem } from './responses-ids.ts';

describe('output item ids', () => {
  it('name the response they belong to, distinct within it', () => {
    const response = mintResponsesId('resp');
    const ids = new OutputItemIds(response);
    const made = [ids.next('msg'), ids.next('fc'), ids.next('fc'), ids.next('rs')];
    assert.equal(new Set(made).size, 4);
    for (const id of made) assert.equal(responseIdOfItem(id), response);
    assert.match(made[0]!, /^msg_[0-9a-f]{52}$/);
  });

  it('are random for a response id of another shape (an upstream\'s), naming no response', () => {
    const id = new OutputItemIds('resp_upstream_made_this').next('msg');
    assert.match(id, /^msg_[0-9a-f]{48}$/);
    assert.equal(responseIdOfItem(id), undefined);
    assert.equal(responseIdOfItem('msg_not-ours'), undefined);
    assert.equal(responseIdOfItem(mintResponsesId('fc')), undefined);
  });
});
