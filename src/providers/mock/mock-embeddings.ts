/**
 * The mock's embeddings: deterministic unit vectors. Each is the sum of one pseudo-random vector per
 * lower-cased word plus one for the whole text, so identical texts give identical vectors and texts that
 * share words have a higher cosine similarity, which is enough for semantic-search demos to behave.
 */
import { createHash } from 'node:crypto';
import { countTokens } from '../formats/token-counter.ts';
import type { Parsed } from './parse-chat-request.ts';

const DEFAULT_DIMENSIONS = 256;
/** text-embedding-3-large has 3072; a little headroom, but bounded so a body cannot ask for gigabytes. */
const MAX_DIMENSIONS = 4096;
/** OpenAI's limit on inputs per request. */
const MAX_INPUTS = 2048;
/** Weight of the whole-text component against each word's, so distinct texts never collapse together. */
const TEXT_WEIGHT = 0.5;

type Body = Readonly<Record<string, unknown>>;

export function createEmbeddings(body: Body, model: string): Parsed<Record<string, unknown>> {
  const inputs = readInputs(body.input);
  if (typeof inputs === 'string') return invalid(inputs, 'input');
  const dimensions = body.dimensions ?? DEFAULT_DIMENSIONS;
  if (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) {
    return invalid(`Invalid 'dimensions': expected an integer between 1 and ${MAX_DIMENSIONS}.`, 'dimensions');
  }
  const base64 = body.encoding_format === 'base64';
  const data = inputs.map((input, index) => ({ object: 'embedding', index, embedding: encode(embed(input.text, dimensions), base64) }));
  const tokens = inputs.reduce((sum, input) => sum + input.tokens, 0);
  return { ok: true, value: { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } } };
}

interface EmbeddingInput {
  readonly text: string;
  readonly tokens: number;
}

/** Accepts what OpenAI accepts: a string, strings, a token array, or token arrays. Returns an error message otherwise. */
function readInputs(input: unknown): EmbeddingInput[] | string {
  if (input === undefined) return 'Missing required parameter: \'input\'.';
  const list = typeof input === 'string' || isTokenArray(input) ? [input] : input;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_INPUTS) {
    return `Invalid 'input': expected a string or a non-empty array of at most ${MAX_INPUTS} strings or token arrays.`;
  }
  const out: EmbeddingInput[] = [];
  for (const item of list) {
    if (typeof item === 'string' && item !== '') out.push({ text: item, tokens: countTokens(item) });
    else if (isTokenArray(item) && item.length > 0) out.push({ text: item.join(' '), tokens: item.length });
    else return '\'$.input\' is invalid: every input must be a non-empty string or a non-empty array of integers.';
  }
  return out;
}

function isTokenArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isInteger(v));
}

function invalid(message: string, param: string): Parsed<never> {
  return { ok: false, error: { message, type: 'invalid_request_error', param, code: null } };
}

export function embed(text: string, dimensions: number): Float32Array {
  const vector = new Float64Array(dimensions);
  addSeeded(vector, `text:${text}`, TEXT_WEIGHT);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) addSeeded(vector, `word:${word}`, 1);
  let squares = 0;
  for (const v of vector) squares += v * v;
  const norm = Math.sqrt(squares);
  return Float32Array.from(vector, (v) => v / norm);
}

/** Adds weight × a vector of uniform values in [-1, 1) drawn from a PRNG seeded by the key's hash. */
function addSeeded(vector: Float64Array, key: string, weight: number): void {
  let state = createHash('sha256').update(key).digest().readUInt32LE(0);
  for (let i = 0; i < vector.length; i++) {
    state = (state + 0x6d2b79f5) | 0; // mulberry32: small, fast and well distributed for this purpose
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    vector[i] = (vector[i] ?? 0) + weight * ((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1);
  }
}

/** base64 is the little-endian float32 bytes, as OpenAI sends them. */
function encode(vector: Float32Array, base64: boolean): number[] | string {
  if (!base64) return Array.from(vector);
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString('base64');
}
