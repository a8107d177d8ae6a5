// Builds kernels.wasm from kernels.ts with AssemblyScript (a devDependency, from npm; nothing is
// downloaded). The .wasm is committed so that production installs need no compiler; this script
// rebuilds it and `--check` verifies that the committed file is the build of the committed source
// (run by test/fast/wasm.test.ts and suitable for CI).
//
//   node src/fast/asm/build.ts           rebuild src/fast/asm/kernels.wasm
//   node src/fast/asm/build.ts --check   exit 1 when kernels.wasm is not current

import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const SOURCE_FILE = fileURLToPath(new URL('./kernels.ts', import.meta.url));
export const OUTPUT_FILE = fileURLToPath(new URL('./kernels.wasm', import.meta.url));

/** The compiler flags: optimised, SIMD, no GC runtime, no asserts, memory supplied by the loader. */
export const ASC_FLAGS = ['-O3', '--enable', 'simd', '--enable', 'relaxed-simd', '--runtime', 'stub', '--noAssert', '--importMemory', '--initialMemory', '1'] as const;

/** Compiles the kernels and returns the module's bytes. */
export async function buildKernels(): Promise<Uint8Array> {
  const asc = (await import('assemblyscript/asc')).default;
  const source = await readFile(SOURCE_FILE, 'utf8');
  let binary: Uint8Array | null = null;
  let errors = '';
  const result = await asc.main(['kernels.ts', ...ASC_FLAGS, '--outFile', 'kernels.wasm'], {
    readFile: (name) => (name === 'kernels.ts' ? source : null),
    writeFile: (name, contents) => {
      if (name === 'kernels.wasm' && typeof contents !== 'string') binary = contents;
    },
    listFiles: () => [],
    stderr: {
      write(chunk: Uint8Array | string) {
        errors += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
        return true;
      },
    } as never,
  });
  if (result.error) throw new Error(`asc failed: ${result.error.message}\n${errors}`);
  if (!binary) throw new Error(`asc produced no binary\n${errors}`);
  return binary;
}

/** Whether the committed kernels.wasm equals a fresh build. */
export async function kernelsAreCurrent(): Promise<boolean> {
  const [built, committed] = await Promise.all([buildKernels(), readFile(OUTPUT_FILE).catch(() => null)]);
  return committed !== null && Buffer.compare(Buffer.from(built), committed) === 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--check')) {
    const current = await kernelsAreCurrent();
    console.log(current ? `${OUTPUT_FILE} is current` : `${OUTPUT_FILE} is stale: run node src/fast/asm/build.ts`);
    process.exitCode = current ? 0 : 1;
  } else {
    const bytes = await buildKernels();
    await writeFile(OUTPUT_FILE, bytes);
    console.log(`wrote ${OUTPUT_FILE} (${bytes.length} bytes)`);
  }
}
