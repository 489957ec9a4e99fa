import { runBackendConformance } from '@kvkit/test-utils';
import { createWebGPUBackend } from '../src/index.js';
import { probeNodeGpu, skipSuite } from './gpu.js';

const probe = await probeNodeGpu();
if (probe.gpu) runBackendConformance('webgpu', () => createWebGPUBackend({ gpu: probe.gpu }));
else skipSuite('backend conformance: webgpu', probe.reason);
