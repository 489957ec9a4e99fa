/** GGUF metadata value types, indexed by their on-disk id (GGUF_TYPE_UINT8 = 0 ... FLOAT64 = 12). */
export const GGUF_VALUE_TYPES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'] as const;

export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];
export type GgufNumberType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64';
export type GgufBigIntType = 'u64' | 'i64';

/** An item of a GGUF array: a plain value for scalar item types, a nested GgufArray for item type 'array'. */
export type GgufArrayItem = number | bigint | boolean | string | GgufArray;

export interface GgufArray {
  readonly type: 'array';
  readonly itemType: GgufValueType;
  readonly value: readonly GgufArrayItem[];
}

/**
 * One metadata value with its GGUF type, so reading and writing a file keeps every type (u32 stays u32).
 * 64-bit integers are bigint; f32 values are the exact float32 value widened to a number.
 */
export type GgufValue =
  | { readonly type: GgufNumberType; readonly value: number }
  | { readonly type: GgufBigIntType; readonly value: bigint }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | GgufArray;

/** Smallest encoded size of one value of each type (bounds arrays before allocating them). */
export function minEncodedSize(type: GgufValueType): number {
  switch (type) {
    case 'u8':
    case 'i8':
    case 'bool':
      return 1;
    case 'u16':
    case 'i16':
      return 2;
    case 'u32':
    case 'i32':
    case 'f32':
      return 4;
    case 'u64':
    case 'i64':
    case 'f64':
    case 'string':
      return 8;
    case 'array':
      return 12;
    default:
      return type satisfies never;
  }
}
