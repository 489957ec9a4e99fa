import { CpuBackend } from '@kvkit/tensor';
import { runBackendConformance } from '../src/index.js';

runBackendConformance('cpu', () => new CpuBackend());
