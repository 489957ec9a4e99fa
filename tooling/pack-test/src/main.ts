// The pack-and-install test: pack every public package, run publint and attw on each tarball, install
// the tarballs with npm into a fresh project outside the repository, then use them as a user would:
// the kvkit CLI, the runtime README's hello world in Node (shipped model and a local GGUF) and bundled
// with Vite in headless Chromium, and a strict TypeScript consumer. Prints PASS/FAIL per check and a
// summary; exits 1 when any check failed.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedFixture } from '@kvkit/fixtures';
import { checkHelp, checkChat, checkGenerate } from './cli-checks.js';
import { checkConsumerTypes } from './consumer-types.js';
import { runBrowserHello } from './browser-hello.js';
import { userEnv } from './exec.js';
import { runAttw, runPublint } from './hygiene.js';
import { checkMetadata } from './metadata.js';
import { runNodeHello } from './node-hello.js';
import { formatBytes, packPackage } from './pack.js';
import type { Tarball } from './pack.js';
import { checkInstalledFromTarballs, installProject } from './project.js';
import { codeLines, firstCodeBlock, forBrowser, withLocalModel } from './readme-block.js';
import { allOf, expect, Report } from './report.js';
import { installedVersion, publicPackages, REQUIRED_PACKAGES } from './workspace.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const HERE = fileURLToPath(new URL('../', import.meta.url));
const MAX_HELLO_LINES = 6;

async function main(): Promise<number> {
  const report = new Report();
  const work = mkdtempSync(join(tmpdir(), 'kvkit-pack-test-'));
  const packs = join(work, 'tarballs');
  const project = join(work, 'project');
  mkdirSync(packs);
  mkdirSync(project);
  const env = userEnv(REPO);
  console.log(`[pack-test] working in ${work}`);
  try {
    const pkgs = publicPackages(REPO);
    await report.check('public packages present', async () => {
      const missing = REQUIRED_PACKAGES.filter((n) => !pkgs.some((p) => p.name === n));
      expect(missing.length === 0, `missing public packages under packages/: ${missing.join(', ')}`);
      return [pkgs.map((p) => `${p.name}@${p.version}`).join(', ')];
    });

    const tarballs: Tarball[] = [];
    await report.check('pnpm pack', async () => {
      for (const p of pkgs) tarballs.push(await packPackage(p, packs));
      return tarballs.map((t) => `${t.pkg.name}: ${formatBytes(t.bytes)} (${t.bytes} bytes)`);
    });
    if (tarballs.length !== pkgs.length) {
      report.blocked('everything after packing', 'a package did not pack');
      return finish(report);
    }

    // publint and attw read only the tarballs, so they run while npm installs.
    const hygiene = (async () => {
      for (const t of tarballs) {
        await report.check(`metadata, publint --strict, attw esm-only: ${t.pkg.name}`, () =>
          allOf([async () => checkMetadata(REPO, t.pkg), () => runPublint(REPO, t), () => runAttw(REPO, t)]),
        );
      }
    })();
    const tools = { vite: installedVersion(HERE, 'vite'), typescript: installedVersion(REPO, 'typescript') };
    const installed = await report.check('npm install of the tarballs in a fresh project', async () => [
      ...(await installProject(project, tarballs, tools, env)),
      ...checkInstalledFromTarballs(project, tarballs),
    ]);
    await hygiene;
    if (!installed) {
      for (const name of ['(a) kvkit CLI', '(b) README hello world in Node', '(c) README hello world in Chromium', '(d) consumer tsc']) report.blocked(name, 'npm install failed');
      return finish(report, tarballs);
    }

    await report.check('(a) npx kvkit --help', () => checkHelp(project, env));
    await report.check('(a) npx kvkit generate --format json (shipped default model)', () => checkGenerate(project, env));
    await report.check('(a) npx kvkit chat with piped stdin', () => checkChat(project, env));

    const block = firstCodeBlock(readFileSync(join(REPO, 'packages/runtime/README.md'), 'utf8'));
    await report.check(`(b) README first code block is at most ${MAX_HELLO_LINES} lines of code`, async () => {
      const n = codeLines(block).length;
      expect(n <= MAX_HELLO_LINES, `the first code block of packages/runtime/README.md has ${n} lines of code:\n${block}`);
      return [`${n} lines of code:`, ...block.trimEnd().split('\n').map((l) => `| ${l}`)];
    });
    await report.check('(b) README hello world in Node, as written (shipped default model)', () => runNodeHello(project, 'hello.mjs', block, env));
    await report.check('(b) README hello world in Node with a local GGUF (stories260K)', async () => {
      const gguf = sharedFixture('models/stories260K/stories260K.gguf'); // ../shared beside the repository, else `pnpm fixtures`' copy
      return [`model ${gguf}`, ...(await runNodeHello(project, 'hello-gguf.mjs', withLocalModel(block, gguf), env))];
    });
    await report.check('(c) README hello world bundled with Vite in headless Chromium', () => runBrowserHello(project, forBrowser(block), env));
    await report.check('(d) consumer tsc on the shipped .d.ts (strict, NodeNext, no lib, types [])', () => checkConsumerTypes(project, env));
    return finish(report, tarballs);
  } finally {
    if (process.env.KVKIT_PACK_TEST_KEEP) console.log(`[pack-test] kept ${work} (KVKIT_PACK_TEST_KEEP is set)`);
    else rmSync(work, { recursive: true, force: true });
  }
}

function finish(report: Report, tarballs: readonly Tarball[] = []): number {
  if (tarballs.length) console.log(['', 'packed tarballs', ...tarballs.map((t) => `  ${t.pkg.name}@${t.pkg.version}: ${formatBytes(t.bytes)}`)].join('\n'));
  console.log(report.summary());
  return report.failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`[pack-test] FAIL: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
