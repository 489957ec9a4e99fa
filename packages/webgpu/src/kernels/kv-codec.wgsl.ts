// WGSL pieces that encode K/V rows exactly as the CPU backend does (tensor/src/cpu/kernels/kv-codec.ts),
// with integer arithmetic only where float rounding matters, so the bytes are identical on every
// adapter (no shader-f16, no reliance on the driver's f32 -> f16 conversion, division or denormals):
// - f32 -> f16 / bf16 bits, round to nearest even (f32ToF16Bits / f32ToBf16Bits);
// - scales as the CPU rounds them: f16(f32(amax / 127)) for int8 blocks and f16(f32((max - min) /
//   (2^b - 1))) for KIVI, from the exact quotient (64-bit integer long division, then round to
//   nearest even to 24 bits and again to 11 bits, the CPU's double rounding);
// - codes = clamp(floor(x / scale + 1/2)) (Math.round: ties upwards) decided by exact comparisons
//   against (q +- 1/2) * scale, after an f32 estimate.

/** `f32_to_f16_bits(bits)` and `f32_to_bf16_bits(bits)` from raw f32 bits. */
export const F32_TO_HALF = /* wgsl */ `
fn f32_to_f16_bits(x: u32) -> u32 {
  let sign = (x >> 16u) & 0x8000u;
  let ex = (x >> 23u) & 0xffu;
  let mant = x & 0x7fffffu;
  if (ex == 0xffu) { return sign | 0x7c00u | select(0u, 0x200u | (mant >> 13u), mant != 0u); }
  let e = i32(ex) - 112;
  if (e >= 31) { return sign | 0x7c00u; }
  if (e <= 0) {
    if (e < -10) { return sign; }
    let m = mant | 0x800000u;
    let shift = u32(14 - e);
    var h = m >> shift;
    let rem = m & ((1u << shift) - 1u);
    let half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (h & 1u) != 0u)) { h += 1u; }
    return sign | h;
  }
  var h = (u32(e) << 10u) | (mant >> 13u);
  let rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u) != 0u)) { h += 1u; }
  return sign | h;
}
fn f32_to_bf16_bits(x: u32) -> u32 {
  if ((x & 0x7fffffffu) > 0x7f800000u) { return ((x >> 16u) | 0x40u) & 0xffffu; }
  let lsb = (x >> 16u) & 1u;
  return ((x + 0x7fffu + lsb) >> 16u) & 0xffffu;
}
`;

/**
 * 64-bit unsigned helpers on vec2<u32> (x: low word, y: high word), and `quot_f16(n, e2, l)`: the f16
 * bits of f16(f32(n * 2^e2 / l)) for n < 2^64 and a small odd l (3, 15, 127), both roundings to nearest even.
 */
export const U64_QUOTIENT = /* wgsl */ `
fn shl64(a: vec2<u32>, s: u32) -> vec2<u32> {
  if (s == 0u) { return a; }
  if (s >= 32u) { return vec2<u32>(0u, a.x << (s - 32u)); }
  return vec2<u32>(a.x << s, (a.y << s) | (a.x >> (32u - s)));
}
fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}
fn sub64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
}
fn lt64(a: vec2<u32>, b: vec2<u32>) -> bool {
  return a.y < b.y || (a.y == b.y && a.x < b.x);
}
fn clz64(a: vec2<u32>) -> u32 {
  return select(32u + countLeadingZeros(a.x), countLeadingZeros(a.y), a.y != 0u);
}
fn quot_f16(n0: vec2<u32>, e20: i32, l: u32) -> u32 {
  if (n0.x == 0u && n0.y == 0u) { return 0u; }
  let lz = clz64(n0);
  let n = shl64(n0, lz);
  let e2 = e20 - i32(lz);
  // Long division of n (top bit set) by l, 16 bits at a time.
  var rem = 0u;
  var q = vec2<u32>(0u, 0u);
  for (var i = 0u; i < 4u; i++) {
    let word = select(n.x, n.y, i < 2u);
    let chunk = select(word & 0xffffu, word >> 16u, (i & 1u) == 0u);
    let cur = (rem << 16u) | chunk;
    let qc = cur / l;
    rem = cur % l;
    if (i < 2u) { q.y = (q.y << 16u) | qc; } else { q.x = (q.x << 16u) | qc; }
  }
  // q >= 2^63 / l: its top 24 bits, a guard bit and a sticky bit, all in the high word.
  let lzq = countLeadingZeros(q.y);
  let low = 7u - lzq;
  let t = q.y >> low;
  let sticky = (q.y & ((1u << low) - 1u)) != 0u || q.x != 0u || rem != 0u;
  var mant = t >> 1u;
  var ex = e2 + 63 - i32(lzq);
  if ((t & 1u) != 0u && (sticky || (mant & 1u) != 0u)) { mant += 1u; }
  if (mant == 0x1000000u) { mant = 0x800000u; ex += 1; }
  // The f32 mant * 2^(ex - 23) to f16, as f32_to_f16_bits.
  let e = ex + 15;
  if (e >= 31) { return 0x7c00u; }
  if (e <= 0) {
    if (e < -10) { return 0u; }
    let shift = u32(14 - e);
    var h = mant >> shift;
    let r = mant & ((1u << shift) - 1u);
    let half = 1u << (shift - 1u);
    if (r > half || (r == half && (h & 1u) != 0u)) { h += 1u; }
    return h;
  }
  var h = (u32(e) << 10u) | ((mant & 0x7fffffu) >> 13u);
  let r = mant & 0x1fffu;
  if (r > 0x1000u || (r == 0x1000u && (h & 1u) != 0u)) { h += 1u; }
  return h;
}
`;

/**
 * int8 blocks: `int8_scale_bits(amaxBits)` (amaxBits: the largest |x| as f32 bits, NaN bits winning)
 * and `int8_code(xBits, scale)` as a byte, for a finite non-zero scale.
 */
export const INT8_CODEC = /* wgsl */ `
fn int8_scale_bits(a: u32) -> u32 {
  let ex = a >> 23u;
  if (ex == 0u) { return 0u; }
  if (ex >= 255u) { return select(0x7c00u, 0x7e00u, a > 0x7f800000u); }
  return quot_f16(vec2<u32>((a & 0x7fffffu) | 0x800000u, 0u), i32(ex) - 150, 127u);
}
fn int8_code(xb: u32, scale: f32) -> u32 {
  let x = bitcast<f32>(xb);
  var q = clamp(floor(x / scale + 0.5), -128.0, 128.0);
  // (2q +- 1) * scale has at most 20 significant bits: exact in f32, so these comparisons are exact.
  if (x < (2.0 * q - 1.0) * scale * 0.5) { q -= 1.0; } else if (x >= (2.0 * q + 1.0) * scale * 0.5) { q += 1.0; }
  return u32(i32(clamp(q, -127.0, 127.0))) & 0xffu;
}
`;

/**
 * KIVI (needs F16_BITS and U64_QUOTIENT): f16 values as exact integers in units of 2^-24, the group
 * order (-0 below +0, as Math.min / Math.max), `kivi_scale_bits(minBits, maxBits)` and
 * `kivi_code(xBits, minBits, scaleBits)`.
 */
export function kiviCodecWgsl(bits: 2 | 4): string {
  const levels = (1 << bits) - 1;
  return /* wgsl */ `
const KIVI_L = ${levels}u;
fn f16_fix(h: u32) -> vec2<u32> {
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0u) { return vec2<u32>(m, 0u); }
  return shl64(vec2<u32>(m | 0x400u, 0u), e - 1u);
}
/** a - b for f16 bits with a >= b, exactly, in units of 2^-24. */
fn f16_diff(a: u32, b: u32) -> vec2<u32> {
  let sa = (a & 0x8000u) != 0u;
  let sb = (b & 0x8000u) != 0u;
  let ma = f16_fix(a);
  let mb = f16_fix(b);
  if (!sa && sb) { return add64(ma, mb); }
  if (!sa && !sb) { return sub64(ma, mb); }
  if (sa && sb) { return sub64(mb, ma); }
  return vec2<u32>(0u, 0u);
}
/** Total order key of f16 bits (NaN aside): -0 sorts below +0. */
fn f16_key(h: u32) -> u32 { return select(h | 0x8000u, 0x7fffu - (h & 0x7fffu), (h & 0x8000u) != 0u); }
fn kivi_scale_bits(mn: u32, mx: u32) -> u32 { return quot_f16(f16_diff(mx, mn), -24, KIVI_L); }
fn kivi_code(xb: u32, mn: u32, sc: u32) -> u32 {
  if ((sc & 0x7fffu) == 0u) { return 0u; }
  let scale = f16_bits(sc);
  var q = u32(clamp(floor((f16_bits(xb) - f16_bits(mn)) / scale + 0.5), 0.0, f32(KIVI_L)));
  // Exactly: (2q - 1) * scale <= 2 (x - min) < (2q + 1) * scale, in units of 2^-24.
  let two = shl64(f16_diff(xb, mn), 1u);
  let se = (sc >> 10u) & 0x1fu;
  let sm = select((sc & 0x3ffu) | 0x400u, sc & 0x3ffu, se == 0u);
  let ss = select(se - 1u, 0u, se == 0u);
  if (q > 0u && lt64(two, shl64(vec2<u32>((2u * q - 1u) * sm, 0u), ss))) { q -= 1u; }
  else if (q < KIVI_L && !lt64(two, shl64(vec2<u32>((2u * q + 1u) * sm, 0u), ss))) { q += 1u; }
  return q;
}
`;
}

/**
 * `put_<name>(word, value, mask)` for a pool bound as `array<atomic<u32>>`: rows of packed bytes need
 * not be word-aligned, so a word shared with a neighbouring row (written by another invocation) has
 * only this row's bits replaced, atomically; words wholly inside the row are stored.
 */
export function putWordWgsl(name: string): string {
  return /* wgsl */ `
fn put_${name}(w: u32, val: u32, mask: u32) {
  if (mask == 0xffffffffu) { atomicStore(&${name}[w], val); return; }
  atomicAnd(&${name}[w], ~mask);
  atomicOr(&${name}[w], val & mask);
}
`;
}

/**
 * A WGSL block writing bytes [start, start + len) of pool `name` (with put_<name>), byte r of the
 * range (a u32 named `r` is in scope) being the low 8 bits of `byteExpr`.
 */
export function writeBytesWgsl(name: string, start: string, len: string, byteExpr: string): string {
  return /* wgsl */ `{
    let b0 = ${start};
    let b1 = b0 + ${len};
    var cw = b0 >> 2u;
    var val = 0u;
    var mask = 0u;
    for (var b = b0; b < b1; b++) {
      let w = b >> 2u;
      if (w != cw) {
        put_${name}(cw, val, mask);
        cw = w;
        val = 0u;
        mask = 0u;
      }
      let r = b - b0;
      let sh = (b & 3u) * 8u;
      val |= ((${byteExpr}) & 0xffu) << sh;
      mask |= 0xffu << sh;
    }
    if (mask != 0u) { put_${name}(cw, val, mask); }
  }`;
}
