/**
 * Synthesizes a JSON value that satisfies a JSON Schema, for the mock provider's structured output and
 * tool arguments. Deterministic: the same schema always gives the same value. Covers what OpenAI's
 * strict mode accepts (type, properties, required, items, enum, const, anyOf, $ref to $defs/definitions,
 * nullable type arrays) plus common bounds (minimum, minLength, minItems, format); patterns are not solved.
 */
type Schema = Readonly<Record<string, unknown>>;

/** Recursive schemas stop here: objects become {} and arrays [] beyond this depth. */
const MAX_DEPTH = 8;

const FORMAT_SAMPLES: Readonly<Record<string, string>> = {
  'date-time': '2025-01-01T00:00:00Z',
  date: '2025-01-01',
  time: '00:00:00Z',
  email: 'mock@example.com',
  uri: 'https://example.com/mock',
  url: 'https://example.com/mock',
  uuid: '00000000-0000-4000-8000-000000000000',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
};

export function sampleFromSchema(schema: unknown): unknown {
  return sample(asSchema(schema), asSchema(schema), '', 0);
}

function sample(schema: Schema, root: Schema, name: string, depth: number): unknown {
  const resolved = resolveRef(schema, root);
  if ('const' in resolved) return resolved.const;
  if (Array.isArray(resolved.enum) && resolved.enum.length > 0) return resolved.enum[0];
  const branch = firstBranch(resolved);
  if (branch !== undefined) return sample(branch, root, name, depth);
  switch (typeOf(resolved)) {
    case 'object': return sampleObject(resolved, root, depth);
    case 'array': return sampleArray(resolved, root, name, depth);
    case 'string': return sampleString(resolved, name);
    case 'integer': return sampleNumber(resolved, true);
    case 'number': return sampleNumber(resolved, false);
    case 'boolean': return true;
    case 'null': return null;
    default: return name === '' ? {} : `mock ${name}`;
  }
}

function asSchema(value: unknown): Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Schema) : {};
}

/** Follows local references ("#/$defs/x", "#/definitions/x"); anything else is treated as an empty schema. */
function resolveRef(schema: Schema, root: Schema, seen = 0): Schema {
  if (typeof schema.$ref !== 'string' || seen > MAX_DEPTH) return schema;
  const path = schema.$ref.replace(/^#\/?/, '').split('/').filter((p) => p !== '');
  let node: unknown = root;
  for (const part of path) node = asSchema(node)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  return resolveRef(asSchema(node), root, seen + 1);
}

/** anyOf/oneOf: the first branch that is not plain null, so optional fields still get a real value. */
function firstBranch(schema: Schema): Schema | undefined {
  if (Array.isArray(schema.allOf)) return mergeAllOf(schema.allOf.map(asSchema));
  const options = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (options === undefined) return undefined;
  const branches = options.map(asSchema);
  return branches.find((b) => b.type !== 'null') ?? branches[0] ?? {};
}

function mergeAllOf(parts: readonly Schema[]): Schema {
  const properties: Record<string, unknown> = {};
  const required: unknown[] = [];
  let merged: Record<string, unknown> = {};
  for (const part of parts) {
    merged = { ...merged, ...part };
    Object.assign(properties, asSchema(part.properties));
    if (Array.isArray(part.required)) required.push(...part.required);
  }
  delete merged.allOf;
  return { ...merged, properties, required };
}

function typeOf(schema: Schema): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.find((t) => t !== 'null') ?? type[0];
  if (schema.properties !== undefined) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

/** Every declared property gets a value (required ones must, optional ones make the sample more useful). */
function sampleObject(schema: Schema, root: Schema, depth: number): Record<string, unknown> {
  if (depth >= MAX_DEPTH) return {};
  const out: Record<string, unknown> = {};
  const properties = asSchema(schema.properties);
  for (const [key, sub] of Object.entries(properties)) out[key] = sample(asSchema(sub), root, key, depth + 1);
  if (Array.isArray(schema.required)) {
    for (const key of schema.required) if (typeof key === 'string' && !(key in out)) out[key] = `mock ${key}`;
  }
  return out;
}

function sampleArray(schema: Schema, root: Schema, name: string, depth: number): unknown[] {
  if (depth >= MAX_DEPTH) return [];
  const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
  const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, 1);
  const count = Math.min(Math.max(min, 1), max);
  const item = sample(asSchema(schema.items), root, singular(name), depth + 1);
  return Array.from({ length: count }, () => item);
}

function singular(name: string): string {
  return name.length > 1 && name.endsWith('s') ? name.slice(0, -1) : name;
}

function sampleString(schema: Schema, name: string): string {
  const format = typeof schema.format === 'string' ? FORMAT_SAMPLES[schema.format] : undefined;
  let text = format ?? (name === '' ? 'mock' : `mock ${name}`);
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  if (text.length < min) text = text.padEnd(min, 'x');
  return text.length > max ? text.slice(0, max) : text;
}

/** The smallest "nice" value inside the bounds: 1 when allowed, else the nearest bound. */
function sampleNumber(schema: Schema, integer: boolean): number {
  const step = integer ? 1 : 0.5;
  let low = -Infinity;
  let high = Infinity;
  if (typeof schema.minimum === 'number') low = schema.minimum;
  if (typeof schema.exclusiveMinimum === 'number') low = Math.max(low, schema.exclusiveMinimum + step);
  if (typeof schema.maximum === 'number') high = schema.maximum;
  if (typeof schema.exclusiveMaximum === 'number') high = Math.min(high, schema.exclusiveMaximum - step);
  let value = Math.min(Math.max(1, low), high);
  if (integer) value = Math.ceil(value) <= high ? Math.ceil(value) : Math.floor(value);
  const multiple = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : undefined;
  if (multiple !== undefined) value = Math.ceil(value / multiple) * multiple;
  return value;
}
