// Job payloads and results travel as JSON (BullMQ stores them so), which would turn NaN and ±Inf into
// null, -0 into 0 and a Float64Array into an object of its indices. A diverged run's values are NaN
// and results must be identical to the in-process run's (docs/scale-out.md), so values are encoded:
// what JSON cannot hold becomes a one-key object tagged `$`, and a plain object that happens to have
// a `$` key is wrapped too, so decoding is exact.

const TYPED = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
} as const;
type TypedName = keyof typeof TYPED;

/** A JSON-safe copy of `value` that `decodeValue` turns back into an equal value (typed arrays, NaN, ±Inf, -0 and undefined included). */
export function encodeValue(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { $: 'NaN' };
    if (value === Infinity) return { $: 'Infinity' };
    if (value === -Infinity) return { $: '-Infinity' };
    if (Object.is(value, -0)) return { $: '-0' };
    return value;
  }
  if (value === undefined) return { $: 'undefined' };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(encodeValue);
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    if (!(name in TYPED)) throw new Error(`cannot send a ${name} through the queue`);
    return { $: name, values: Array.from(value as unknown as ArrayLike<number>, encodeValue) };
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) out[key] = encodeValue(field);
    return '$' in out ? { $: 'object', value: out } : out;
  }
  throw new Error(`cannot send a ${typeof value === 'object' ? value.constructor?.name ?? 'object' : typeof value} through the queue`);
}

/** The value `encodeValue` encoded. */
export function decodeValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const record = value as Record<string, unknown>;
  if ('$' in record) {
    const tag = record.$ as string;
    if (tag === 'NaN') return NaN;
    if (tag === 'Infinity') return Infinity;
    if (tag === '-Infinity') return -Infinity;
    if (tag === '-0') return -0;
    if (tag === 'undefined') return undefined;
    if (tag === 'object') return decodeObject(record.value as Record<string, unknown>);
    if (tag in TYPED) return TYPED[tag as TypedName].from((record.values as unknown[]).map(decodeValue) as number[]);
    throw new Error(`unknown tag '${tag}' in a value from the queue`);
  }
  return decodeObject(record);
}

function decodeObject(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(record)) out[key] = decodeValue(field);
  return out;
}
