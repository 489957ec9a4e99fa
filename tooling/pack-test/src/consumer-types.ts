// A TypeScript consumer of the published .d.ts files: strict, module NodeNext, no `lib`, no @types,
// and no skipLibCheck, so every shipped declaration file is checked as a user's tsc would.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, tail } from './exec.js';
import { expect } from './report.js';

/** Imports every name of each checked package and uses the hello world's types. */
const CONSUMER = `import * as tensor from '@kvkit/tensor';
import * as loaders from '@kvkit/loaders';
import * as cache from '@kvkit/cache';
import * as runtime from '@kvkit/runtime';
import * as models from '@kvkit/models';
import * as evaluation from '@kvkit/eval';
import * as webgpu from '@kvkit/webgpu';
import * as webgpuNode from '@kvkit/webgpu/node';
import { loadLanguageModel } from '@kvkit/runtime';
import { defaultModel } from '@kvkit/models';

export async function hello(source: Parameters<typeof loadLanguageModel>[0]): Promise<string> {
  const model = await loadLanguageModel(source);
  const session = model.createSession({ policy: 'snapkv', budget: 64 });
  let text = '';
  for await (const chunk of session.generate('Once upon a time', { maxTokens: 5 })) text += chunk.text;
  session.dispose();
  return text;
}

export const shipped: Promise<string> = hello(defaultModel);
export const modules = [tensor, loaders, cache, runtime, models, evaluation, webgpu, webgpuNode] as const;
export const onGpu = async () => loadLanguageModel(defaultModel, { backend: await webgpu.createWebGPUBackend({ gpu: await webgpuNode.nodeGpu() }) });
`;

/** Consumer configurations: TypeScript's defaults for NodeNext (target esnext), and an explicit ES2022 target. */
const CONFIGS = {
  'tsconfig.consumer.json': { strict: true, module: 'NodeNext', noEmit: true, types: [] },
  'tsconfig.consumer-es2022.json': { strict: true, module: 'NodeNext', target: 'ES2022', noEmit: true, types: [] },
} as const;

export async function checkConsumerTypes(dir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  writeFileSync(join(dir, 'consumer.ts'), CONSUMER);
  const lines: string[] = [];
  for (const [file, compilerOptions] of Object.entries(CONFIGS)) {
    writeFileSync(join(dir, file), `${JSON.stringify({ compilerOptions, files: ['consumer.ts'] }, null, 2)}\n`);
    const r = await exec('npx', ['tsc', '-p', file], { cwd: dir, env, timeoutMs: 120_000 });
    expect(r.code === 0, `tsc -p ${file} (${JSON.stringify(compilerOptions)}) failed on the shipped .d.ts files:\n${tail(r.stdout + r.stderr, 4000)}`);
    lines.push(`tsc -p ${file} ${JSON.stringify(compilerOptions)}: no errors`);
  }
  return lines;
}
