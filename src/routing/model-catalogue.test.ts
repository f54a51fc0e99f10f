import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema, type Config } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { WireFormat } from '../providers/provider-adapter.ts';
import { ModelCatalogue } from './model-catalogue.ts';
import type { Plan } from '../domain/plan.ts';

const FORMAT_OF_TYPE: Readonly<Record<string, WireFormat>> = {
  openai: 'openai', anthropic: 'anthropic', 'azure-openai': 'openai', 'openai-compatible': 'openai', mock: 'openai',
};

/** A catalogue over a raw config, with the formats main.ts would derive from the configured providers. */
function catalogue(raw: Record<string, unknown>): ModelCatalogue {
  const config: Config = configSchema.parse(raw);
  const formats = new Map(config.providers.map((p) => [p.name, FORMAT_OF_TYPE[p.type] ?? 'openai'] as const));
  return new ModelCatalogue(config, formats);
}

const OPENAI = { name: 'openai', type: 'openai' };
const ANTHROPIC = { name: 'anthropic', type: 'anthropic' };
const MOCK = { name: 'mock', type: 'mock', models: ['mock', 'mock-large'] };
const GROQ = { name: 'groq', type: 'openai-compatible', baseUrl: 'https://api.groq.com/openai/v1', models: ['llama-3.3-70b-versatile', 'shared-model'] };
const OLLAMA = { name: 'ollama', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', models: ['llama3.2', 'shared-model'] };

/** The plan's one target, without the translation options (dropParams, reasoning) other tests cover. */
function target(plan: Plan): Pick<Plan['targets'][number], 'provider' | 'model' | 'format' | 'pricing'> {
  assert.equal(plan.targets.length, 1);
  const first = plan.targets[0];
  assert.ok(first);
  return { provider: first.provider, model: first.model, format: first.format, pricing: first.pricing };
}

function assertNotFound(cat: ModelCatalogue, model: string): void {
  assert.throws(() => cat.resolve(model), (err: unknown) => {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, 'SB_MODEL_NOT_FOUND');
    assert.equal(err.status, 404);
    assert.equal(err.param, 'model');
    assert.ok(err.message.includes(`"${model.slice(0, 200)}"`), err.message);
    return true;
  });
}

describe('ModelCatalogue.resolve: provider/model', () => {
  const cat = catalogue({
    providers: [OPENAI, ANTHROPIC, GROQ, MOCK],
    models: [
      { name: 'gpt-4o', provider: 'groq', model: 'llama-3.3-70b-versatile' },
      { name: 'claude-sonnet-4-5', provider: 'anthropic', pricing: { inputPerMTok: 3, outputPerMTok: 15 } },
    ],
  });

  it('addresses that provider with the rest of the name as upstream model', () => {
    const plan = cat.resolve('anthropic/claude-sonnet-4-5-20250929');
    assert.equal(plan.reason, 'provider-prefix');
    assert.equal(plan.modelRequested, 'anthropic/claude-sonnet-4-5-20250929');
    assert.deepEqual(target(plan), { provider: 'anthropic', model: 'claude-sonnet-4-5-20250929', format: 'anthropic', pricing: undefined });
  });

  it('wins over a catalogue name equal to the part after the slash', () => {
    const plan = cat.resolve('openai/gpt-4o');
    assert.equal(plan.reason, 'provider-prefix');
    assert.equal(target(plan).provider, 'openai', 'not groq, where the catalogue entry "gpt-4o" points');
    assert.equal(target(plan).model, 'gpt-4o', 'not the catalogue entry\'s upstream model');
  });

  it('keeps the catalogue entry\'s pricing for the part after the slash', () => {
    assert.deepEqual(target(cat.resolve('anthropic/claude-sonnet-4-5')).pricing, { inputPerMTok: 3, outputPerMTok: 15 });
  });

  it('keeps further slashes in the upstream model id', () => {
    const t = target(cat.resolve('groq/meta-llama/llama-4-scout'));
    assert.equal(t.provider, 'groq');
    assert.equal(t.model, 'meta-llama/llama-4-scout');
  });

  it('addresses a model nobody lists', () => {
    assert.equal(target(cat.resolve('groq/some-new-model')).model, 'some-new-model');
  });

  it('is not a provider prefix when the part before the slash is no configured provider', () => {
    assertNotFound(cat, 'together/llama');
    const listed = catalogue({ providers: [{ ...GROQ, models: ['meta-llama/llama-4-scout'] }] });
    const plan = listed.resolve('meta-llama/llama-4-scout');
    assert.equal(plan.reason, 'provider-models');
    assert.deepEqual(target(plan), { provider: 'groq', model: 'meta-llama/llama-4-scout', format: 'openai', pricing: undefined });
  });

  it('needs something on both sides of the slash', () => {
    assertNotFound(cat, 'groq/');
    assertNotFound(cat, '/gpt-4o');
  });
});

describe('ModelCatalogue.resolve: catalogue names and aliases', () => {
  const cat = catalogue({
    providers: [ANTHROPIC, GROQ, OLLAMA],
    models: [
      { name: 'fast', aliases: ['quick', 'cheap'], provider: 'groq', model: 'llama-3.3-70b-versatile', pricing: { inputPerMTok: 0.59, outputPerMTok: 0.79 } },
      { name: 'smart', provider: 'anthropic', model: 'claude-sonnet-4-5-20250929' },
      { name: 'llama3.2', provider: 'groq', model: 'llama-3.2-90b' },
      { name: 'claude-special', provider: 'ollama' },
    ],
  });

  it('resolves a name to its provider and upstream model, with its pricing', () => {
    const plan = cat.resolve('fast');
    assert.equal(plan.reason, 'catalogue');
    assert.deepEqual(target(plan), { provider: 'groq', model: 'llama-3.3-70b-versatile', format: 'openai', pricing: { inputPerMTok: 0.59, outputPerMTok: 0.79 } });
  });

  it('resolves every alias to the same target', () => {
    assert.equal(cat.resolve('quick').targets[0], cat.resolve('fast').targets[0]);
    assert.equal(cat.resolve('cheap').targets[0], cat.resolve('fast').targets[0]);
    assert.equal(cat.resolve('quick').modelRequested, 'quick');
  });

  it('uses the name as upstream model when the entry sets none', () => {
    assert.equal(target(cat.resolve('claude-special')).model, 'claude-special');
  });

  it('takes the provider\'s wire format', () => {
    assert.equal(target(cat.resolve('smart')).format, 'anthropic');
  });

  it('comes before models a provider lists', () => {
    const plan = cat.resolve('llama3.2');
    assert.equal(plan.reason, 'catalogue');
    assert.equal(target(plan).provider, 'groq');
    assert.equal(target(plan).model, 'llama-3.2-90b');
  });

  it('comes before name prefixes', () => {
    const plan = cat.resolve('claude-special');
    assert.equal(plan.reason, 'catalogue');
    assert.equal(target(plan).provider, 'ollama', 'not anthropic by the claude- prefix');
  });
});

describe('ModelCatalogue.resolve: models a provider lists', () => {
  const cat = catalogue({ providers: [GROQ, OLLAMA] });

  it('resolves a listed model to its provider', () => {
    const plan = cat.resolve('llama3.2');
    assert.equal(plan.reason, 'provider-models');
    assert.deepEqual(target(plan), { provider: 'ollama', model: 'llama3.2', format: 'openai', pricing: undefined });
  });

  it('gives a model two providers list to the first one configured', () => {
    assert.equal(target(cat.resolve('shared-model')).provider, 'groq');
  });
});

describe('ModelCatalogue.resolve: name prefixes', () => {
  it('sends gpt-*, o1/o3/o4*, chatgpt-*, text-embedding-* to openai and claude-* to anthropic when they are configured', () => {
    const cat = catalogue({ providers: [OPENAI, ANTHROPIC, MOCK] });
    for (const model of ['gpt-4o', 'gpt-5-mini', 'o1-preview', 'o3', 'o4-mini', 'chatgpt-4o-latest', 'text-embedding-3-small']) {
      const plan = cat.resolve(model);
      assert.equal(plan.reason, 'name-prefix', model);
      assert.deepEqual(target(plan), { provider: 'openai', model, format: 'openai', pricing: undefined });
    }
    const plan = cat.resolve('claude-opus-4-1-20250805');
    assert.equal(plan.reason, 'name-prefix');
    assert.deepEqual(target(plan), { provider: 'anthropic', model: 'claude-opus-4-1-20250805', format: 'anthropic', pricing: undefined });
    assert.equal(target(cat.resolve('mock-anything')).provider, 'mock');
  });

  it('does nothing for a prefix whose provider is not configured', () => {
    const cat = catalogue({ providers: [MOCK] });
    assertNotFound(cat, 'gpt-4o');
    assertNotFound(cat, 'claude-sonnet-4-5');
    assert.equal(target(cat.resolve('mock-xl')).provider, 'mock');
    const none = catalogue({ providers: [OPENAI] });
    assertNotFound(none, 'mock');
  });

  it('lets the longest matching prefix win', () => {
    const cat = catalogue({
      providers: [OPENAI, GROQ, OLLAMA],
      routing: { prefixes: { 'gpt-': 'openai', 'gpt-oss': 'groq', 'gpt-oss-20b': 'ollama' } },
    });
    assert.equal(target(cat.resolve('gpt-4o')).provider, 'openai');
    assert.equal(target(cat.resolve('gpt-oss-120b')).provider, 'groq');
    assert.equal(target(cat.resolve('gpt-oss-20b-q4')).provider, 'ollama');
  });

  it('uses only the configured prefixes when routing.prefixes is set', () => {
    const cat = catalogue({ providers: [OPENAI, GROQ], routing: { prefixes: { 'llama-': 'groq' } } });
    assert.equal(target(cat.resolve('llama-3.1-8b-instant')).provider, 'groq');
    assertNotFound(cat, 'gpt-4o');
  });

  it('comes after models a provider lists', () => {
    const cat = catalogue({ providers: [OPENAI, { ...GROQ, models: ['gpt-oss-120b'] }] });
    const plan = cat.resolve('gpt-oss-120b');
    assert.equal(plan.reason, 'provider-models');
    assert.equal(target(plan).provider, 'groq');
  });

  it('is case-sensitive', () => {
    assertNotFound(catalogue({ providers: [OPENAI] }), 'GPT-4o');
  });
});

describe('ModelCatalogue.resolve: unknown models', () => {
  it('throws SB_MODEL_NOT_FOUND with param "model"', () => {
    assertNotFound(catalogue({ providers: [OPENAI, ANTHROPIC, MOCK] }), 'llama-3.3-70b');
    assertNotFound(catalogue({}), 'mock');
  });

  it('cuts a very long name in the message', () => {
    const long = 'x'.repeat(5000);
    assert.throws(() => catalogue({}).resolve(long), (err: unknown) => err instanceof GatewayError && err.message.length < 600);
  });

  it('does not remember a failure', () => {
    const cat = catalogue({ providers: [MOCK] });
    assertNotFound(cat, 'nope');
    assertNotFound(cat, 'nope');
  });
});

describe('ModelCatalogue.resolve: plans', () => {
  it('returns frozen plain data, the same plan for the same name', () => {
    const cat = catalogue({ providers: [MOCK] });
    const plan = cat.resolve('mock');
    assert.ok(Object.isFrozen(plan));
    assert.ok(Object.isFrozen(plan.targets));
    assert.ok(Object.isFrozen(plan.targets[0]));
    assert.equal(cat.resolve('mock'), plan);
    assert.deepEqual(JSON.parse(JSON.stringify(plan)), { modelRequested: 'mock', targets: [{ provider: 'mock', model: 'mock', wireModel: 'mock', format: 'openai', dropParams: {}, label: 'mock/mock', modelKey: 'mock', retries: 1, endpoint: { id: 'provider:mock', pool: 'providers' } }], reason: 'provider-models' });
  });
});

describe('ModelCatalogue.list', () => {
  it('lists catalogue names and aliases first, then provider models, each once', () => {
    const cat = catalogue({
      providers: [OPENAI, GROQ, OLLAMA, MOCK],
      models: [
        { name: 'fast', aliases: ['quick'], provider: 'groq', model: 'llama-3.3-70b-versatile' },
        { name: 'llama3.2', provider: 'groq' },
      ],
    });
    assert.deepEqual(cat.list(), [
      { id: 'fast', provider: 'groq', model: 'llama-3.3-70b-versatile' },
      { id: 'quick', provider: 'groq', model: 'llama-3.3-70b-versatile' },
      { id: 'llama3.2', provider: 'groq', model: 'llama3.2' },
      { id: 'llama-3.3-70b-versatile', provider: 'groq', model: 'llama-3.3-70b-versatile' },
      { id: 'shared-model', provider: 'groq', model: 'shared-model' },
      // Their bare ids reach groq, so ollama's copies are listed by the name that reaches ollama.
      { id: 'ollama/llama3.2', provider: 'ollama', model: 'llama3.2' },
      { id: 'ollama/shared-model', provider: 'ollama', model: 'shared-model' },
      { id: 'mock', provider: 'mock', model: 'mock' },
      { id: 'mock-large', provider: 'mock', model: 'mock-large' },
    ]);
  });

  it('does not list what only a name prefix would resolve', () => {
    const cat = catalogue({ providers: [OPENAI, ANTHROPIC] });
    assert.deepEqual(cat.list(), []);
    assert.equal(target(cat.resolve('gpt-4o')).provider, 'openai');
  });

  it('adds the providers\' fetched lists: bare when the bare id routes there, else "provider/model"', () => {
    const cat = catalogue({ providers: [OPENAI, ANTHROPIC, GROQ], models: [{ name: 'gpt-4o', provider: 'groq', model: 'llama-3.3-70b-versatile' }] });
    const fetched = new Map([
      ['openai', ['gpt-4o-mini', 'gpt-4o', 'dall-e-3', 'gpt-4o-mini']],
      ['anthropic', ['claude-sonnet-4-5-20250929']],
      ['groq', ['llama-3.3-70b-versatile', 'openai/gpt-oss-120b', 'llama-3.1-8b-instant']],
    ]);
    const listed = cat.list(fetched);
    assert.deepEqual(listed.map((m) => m.id), [
      'gpt-4o',
      'gpt-4o-mini', 'openai/gpt-4o', 'openai/dall-e-3',
      'claude-sonnet-4-5-20250929',
      'llama-3.3-70b-versatile', 'shared-model', 'groq/openai/gpt-oss-120b', 'groq/llama-3.1-8b-instant',
    ]);
    // Every listed name routes to the provider and model the listing names.
    for (const m of listed) {
      const t = target(cat.resolve(m.id));
      assert.deepEqual([t.provider, t.model], [m.provider, m.model], m.id);
    }
  });

  it('lists Azure deployments from config, by the name that reaches the Azure provider', () => {
    const cat = catalogue({ providers: [OPENAI, { name: 'azure', type: 'azure-openai', baseUrl: 'https://acme.openai.azure.com', deployments: { 'gpt-4o': 'prod-4o', 'my-model': 'd1' } }] });
    assert.deepEqual(cat.list().map((m) => m.id), ['azure/gpt-4o', 'azure/my-model']);
  });
});

describe('ModelCatalogue.find', () => {
  const cat = catalogue({
    providers: [OPENAI, GROQ, MOCK],
    models: [{ name: 'fast', provider: 'groq', model: 'llama-3.1-8b-instant' }],
  });
  const fetched = new Map([['openai', ['gpt-4o-mini', 'dall-e-3']]]);

  it('finds every listed name', () => {
    for (const m of cat.list(fetched)) assert.deepEqual(cat.find(m.id, fetched), m);
  });

  it('finds "provider/model" for a model the provider\'s config or fetched list has', () => {
    assert.deepEqual(cat.find('openai/gpt-4o-mini', fetched), { id: 'openai/gpt-4o-mini', provider: 'openai', model: 'gpt-4o-mini' });
    assert.deepEqual(cat.find('mock/mock-large', fetched), { id: 'mock/mock-large', provider: 'mock', model: 'mock-large' });
    assert.deepEqual(cat.find('groq/llama-3.1-8b-instant', fetched), { id: 'groq/llama-3.1-8b-instant', provider: 'groq', model: 'llama-3.1-8b-instant' }, 'a catalogue entry\'s upstream id');
  });

  it('finds nothing a provider does not say it serves, even where a prefix would route it', () => {
    for (const id of ['gpt-does-not-exist', 'openai/gpt-does-not-exist', 'groq/fast', 'nobody/gpt-4o-mini', 'no-such-model']) {
      assert.equal(cat.find(id, fetched), undefined, id);
    }
    assert.equal(cat.find('gpt-4o-mini'), undefined, 'without the fetched list');
  });
});
