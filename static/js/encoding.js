// Pure: the compact encoding of run results (`?encoding=b64`, docs/PERFORMANCE.md). Every float
// array arrives as {"dtype": "float32", "shape": "B,T,H", "bdata": "<base64>"}: the values as
// little-endian float32 in C order. Decoded here into the nested arrays of the plain JSON.

/** Whether a value is one typed-array object of the compact encoding. */
export function isTypedArray(value) {
  return value !== null && typeof value === 'object' && value.dtype === 'float32' && typeof value.bdata === 'string';
}

/** The float32 values in base64 `bdata` (read in the platform's byte order: little-endian in every browser in use). */
export function float32Values(bdata) {
  const binary = atob(bdata);
  const bytes = new Uint8Array(binary.length);
  for (let k = 0; k < binary.length; k += 1) bytes[k] = binary.charCodeAt(k);
  return new Float32Array(bytes.buffer);
}

/** Nested arrays of `dims` over flat C-order `values`, from `offset`; a plain number when dims is empty. */
function nest(values, dims, offset) {
  if (!dims.length) return values[offset];
  const [n, ...inner] = dims;
  const out = new Array(n);
  if (!inner.length) {
    for (let k = 0; k < n; k += 1) out[k] = values[offset + k];
    return out;
  }
  const size = inner.reduce((a, d) => a * d, 1);
  for (let k = 0; k < n; k += 1) out[k] = nest(values, inner, offset + k * size);
  return out;
}

/** A value with every typed-array object in it replaced by nested arrays of numbers (the plain JSON's shape). */
export function decodeArrays(value) {
  if (Array.isArray(value)) return value.map(decodeArrays);
  if (value === null || typeof value !== 'object') return value;
  if (isTypedArray(value)) {
    const dims = value.shape === '' ? [] : String(value.shape).split(',').map(Number);
    return nest(float32Values(value.bdata), dims, 0);
  }
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, decodeArrays(v)]));
}
