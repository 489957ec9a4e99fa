import { KvkitError } from '@kvkit/tensor';

/** No WebGPU adapter (no `navigator.gpu`, no driver, or the request was refused). */
export class NoAdapterError extends KvkitError {
  constructor(message: string) {
    super('NO_ADAPTER', message);
  }
}

/** The GPU device was lost (driver reset, `destroy()`, out of memory); create a new backend or fall back to the CPU. */
export class DeviceLostError extends KvkitError {
  /** `GPUDeviceLostReason`: 'destroyed' or 'unknown'. */
  readonly reason: string;
  constructor(message: string, reason: string) {
    super('DEVICE_LOST', message);
    this.reason = reason;
  }
}

/** A tensor or dispatch beyond the device's limits (buffer size, binding size, workgroups). */
export class DeviceLimitError extends KvkitError {
  constructor(message: string) {
    super('DEVICE_LIMIT', message);
  }
}

/** A WGSL kernel that did not compile; `message` lists each error with its line and column. */
export class ShaderCompileError extends KvkitError {
  /** The kernel's shader key. */
  readonly key: string;
  constructor(key: string, message: string) {
    super('SHADER_COMPILE', message);
    this.key = key;
  }
}

/** A WebGPU validation or out-of-memory error raised by the device (a bug in the backend, or memory exhausted). */
export class GpuError extends KvkitError {
  constructor(message: string) {
    super('GPU_ERROR', message);
  }
}
