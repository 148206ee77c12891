/**
 * JSON text in pieces of bounded size, the same characters as
 *
 *   JSON.stringify(value, (key, v) => typed array ? Array.from(v) : v, indent)
 *
 * (the text the app's JSON exports have always had), so that an export of a run with 10⁶ samples —
 * H alone 2·10⁷ numbers, ~0.5 GB of indented text, above V8's longest string (2²⁹ − 24 characters)
 * — is never one string, and its typed arrays are never copied into JavaScript arrays.
 *
 * Follows ECMA-262's SerializeJSONProperty / SerializeJSONObject / SerializeJSONArray: `toJSON` is
 * called first; `undefined`, functions and symbols are left out of objects and become `null` in
 * arrays; non-finite numbers are `null`; keys in `Object.keys` order; `{}` and `[]` when empty;
 * boxed primitives are unboxed; a bigint or a cycle throws a TypeError, as JSON.stringify does.
 */

/** Characters per piece (~1 MB of UTF-8 for numbers): enough to amortise the transfer's calls. */
export const JSON_PIECE_CHARS = 1 << 20;

export interface JsonPiecesOptions {
  /** Spaces per level (JSON.stringify's `space` as a number). Default 2. */
  indent?: number;
  /** A piece is handed out once it holds at least this many characters. Default JSON_PIECE_CHARS. */
  pieceChars?: number;
  /** Told how many numbers of typed arrays have been written so far (for progress). */
  onTypedValues?: (count: number) => void;
}

type TypedArray = Exclude<ArrayBufferView, DataView>;

function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/** How many numbers the typed arrays anywhere in `value` hold (the unit of `onTypedValues`). */
export function countTypedValues(value: unknown, seen = new Set<object>()): number {
  if (isTypedArray(value)) return (value as unknown as ArrayLike<unknown>).length;
  if (value === null || typeof value !== 'object' || seen.has(value)) return 0;
  seen.add(value);
  let total = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value))
    total += countTypedValues(item, seen);
  return total;
}

function numberText(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/** The pieces of the JSON text of `value` (see the module comment); concatenated, JSON.stringify's text. */
export function* jsonPieces(value: unknown, options: JsonPiecesOptions = {}): Generator<string> {
  const gap = ' '.repeat(Math.min(10, Math.max(0, Math.floor(options.indent ?? 2))));
  const pieceChars = options.pieceChars ?? JSON_PIECE_CHARS;
  const onTypedValues = options.onTypedValues;
  const stack = new Set<object>();
  let buffer = '';
  let typedWritten = 0;

  // Serialised as a generator so that a typed array of 2·10⁷ numbers can hand out its text piece by
  // piece; everything else is appended to `buffer` and handed out whenever the buffer is full.
  function* property(holder: object, key: string, raw: unknown, indent: string): Generator<string, boolean> {
    let item = raw;
    if ((typeof item === 'object' && item !== null) || typeof item === 'bigint') {
      const toJSON = (item as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') item = (toJSON as (key: string) => unknown).call(item, key);
    }
    if (item instanceof Number) item = Number(item);
    else if (item instanceof String) item = String(item);
    else if (item instanceof Boolean) item = item.valueOf();
    if (item === null) {
      buffer += 'null';
      return true;
    }
    switch (typeof item) {
      case 'boolean':
        buffer += item ? 'true' : 'false';
        return true;
      case 'string':
        buffer += JSON.stringify(item);
        return true;
      case 'number':
        buffer += numberText(item);
        return true;
      case 'bigint':
        throw new TypeError('Do not know how to serialize a BigInt');
      case 'object':
        break;
      default:
        return false; // undefined, function, symbol
    }
    const object = item as object;
    if (stack.has(object)) throw new TypeError('Converting circular structure to JSON');
    stack.add(object);
    const inner = indent + gap;
    const separator = gap ? `,\n${inner}` : ',';
    if (isTypedArray(object)) {
      const values = object as unknown as ArrayLike<number | bigint>;
      if (values.length === 0) buffer += '[]';
      else {
        buffer += gap ? `[\n${inner}` : '[';
        for (let i = 0; i < values.length; i++) {
          if (i > 0) buffer += separator;
          const element = values[i];
          if (typeof element === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
          buffer += numberText(element);
          if (buffer.length >= pieceChars) {
            onTypedValues?.(typedWritten + i + 1);
            yield buffer;
            buffer = '';
          }
        }
        typedWritten += values.length;
        onTypedValues?.(typedWritten);
        buffer += gap ? `\n${indent}]` : ']';
      }
    } else if (Array.isArray(object)) {
      if (object.length === 0) buffer += '[]';
      else {
        buffer += gap ? `[\n${inner}` : '[';
        for (let i = 0; i < object.length; i++) {
          if (i > 0) buffer += separator;
          if (!(yield* property(object, String(i), object[i] as unknown, inner))) buffer += 'null';
          if (buffer.length >= pieceChars) {
            yield buffer;
            buffer = '';
          }
        }
        buffer += gap ? `\n${indent}]` : ']';
      }
    } else {
      let members = 0;
      for (const name of Object.keys(object)) {
        const mark = buffer.length;
        buffer += `${members > 0 ? separator : gap ? `{\n${inner}` : '{'}${JSON.stringify(name)}:${gap ? ' ' : ''}`;
        const written = yield* property(object, name, (object as Record<string, unknown>)[name], inner);
        if (!written) {
          // Left out (undefined, function, symbol): nothing of it was handed out, as nothing was written.
          buffer = buffer.slice(0, mark);
          continue;
        }
        members++;
        if (buffer.length >= pieceChars) {
          yield buffer;
          buffer = '';
        }
      }
      buffer += members === 0 ? '{}' : gap ? `\n${indent}}` : '}';
    }
    stack.delete(object);
    return true;
  }

  const written = yield* property({ '': value }, '', value, '');
  if (written && buffer.length > 0) yield buffer;
}

/** The whole text of {@link jsonPieces} (small documents, tests): JSON.stringify's, typed arrays as lists. */
export function jsonText(value: unknown, indent = 2): string {
  let text = '';
  for (const piece of jsonPieces(value, { indent })) text += piece;
  return text;
}
