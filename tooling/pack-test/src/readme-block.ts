// The runtime README's hello world: its first fenced code block, read from the README at test time,
// and the two variants the acceptance asks for (a local GGUF instead of the shipped model; a page).

/** The body of the first fenced code block of a markdown text (throws if there is none). */
export function firstCodeBlock(markdown: string): string {
  const m = /^```[^\n]*\n([\s\S]*?)^```/m.exec(markdown);
  if (!m) throw new Error('the README has no fenced code block');
  return m[1]!;
}

/** Lines that hold code: not blank, not only a comment. */
export function codeLines(block: string): string[] {
  return block.split('\n').filter((l) => l.trim() !== '' && !/^\s*\/\//.test(l));
}

/** The block with the model given to `loadLanguageModel(...)` replaced by the path `file` (the imports stay). */
export function withLocalModel(block: string, file: string): string {
  let replaced = 0;
  const out = block.replace(/\bloadLanguageModel\(\s*([A-Za-z_$][\w$]*)/g, () => {
    replaced++;
    return `loadLanguageModel(${JSON.stringify(file)}`;
  });
  if (replaced === 0) throw new Error('the block never calls loadLanguageModel(<model>), so there is no model argument to replace with a GGUF path');
  return out;
}

/**
 * The block as a page script: streamed text goes into the page instead of stdout, and the final
 * `console.log(...)` also marks the page done (`window.kvkitDone`, defined by the page).
 */
export function forBrowser(block: string): string {
  const write = 'process.stdout.write(chunk.text)';
  if (!block.includes(write)) throw new Error(`the block does not stream with \`${write}\`, so it cannot be adapted for a page`);
  const page = block.replaceAll(write, 'document.body.append(chunk.text)').replace(/\bconsole\.log\(/g, 'window.kvkitDone(');
  if (/\bprocess\./.test(page)) throw new Error('the block uses `process` beyond process.stdout.write(chunk.text); a page has no process');
  return page;
}
