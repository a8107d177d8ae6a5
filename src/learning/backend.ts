// Chooses the tf.js backend once per process (or worker thread).
//
// Order: `tensorflow` (native, from @tensorflow/tfjs-node — an optional dependency whose install
// downloads libtensorflow and therefore often is missing), then `wasm` (@tensorflow/tfjs-backend-wasm,
// always installed), then `cpu` (plain JavaScript). NABI_TF_BACKEND=tensorflow|wasm|cpu forces one;
// a forced backend that cannot start is an error rather than a silent fallback.

import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export const BACKEND_ENV = 'NABI_TF_BACKEND';

export interface BackendInfo {
  /** The backend actually in use. */
  readonly name: BackendName;
  /** Whether it was forced (option or NABI_TF_BACKEND) or picked automatically. */
  readonly forced: boolean;
  /** Why faster backends were skipped, e.g. "tensorflow: @tensorflow/tfjs-node is not installed". */
  readonly skipped: readonly string[];
  /** wasm only: SIMD and multithreading support detected by tf.js. */
  readonly simd?: boolean;
  readonly threads?: boolean;
}

export class BackendError extends Error {
  override name = 'BackendError';
}

export interface InitBackendOptions {
  /** Force a backend; default: NABI_TF_BACKEND, else automatic. */
  readonly backend?: BackendName | 'auto';
  /** Environment to read NABI_TF_BACKEND from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Parses a backend name (from the environment or a CLI flag); a clear error for anything else. */
export function parseBackendName(value: string, source = BACKEND_ENV): BackendName | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if ((BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendName;
  const shown = value.length > 30 ? `${value.slice(0, 30)}…` : value;
  throw new BackendError(`${source}="${shown}" is not a tf.js backend Nabi can use: choose ${BACKEND_NAMES.join(', ')} or auto`);
}

let current: { key: string; info: Promise<BackendInfo> } | undefined;

/**
 * Starts the backend (idempotent: later calls with the same choice return the same info; a
 * different forced choice switches backend).
 */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const env = options.env ?? process.env;
  let wanted: BackendName | 'auto';
  try {
    wanted = options.backend ?? parseBackendName(env[BACKEND_ENV] ?? '');
  } catch (error) {
    return Promise.reject(error);
  }
  if (current && (current.key === wanted || wanted === 'auto')) return current.info;
  const info = start(wanted);
  current = { key: wanted, info };
  info.catch(() => {
    if (current?.info === info) current = undefined;
  });
  return info;
}

/** The backend tf.js is using right now (after initBackend), as a Nabi backend name. */
export function backendName(): string {
  return tf.getBackend();
}

async function start(wanted: BackendName | 'auto'): Promise<BackendInfo> {
  const order: readonly BackendName[] = wanted === 'auto' ? BACKEND_NAMES : [wanted];
  const skipped: string[] = [];
  for (const name of order) {
    try {
      await STARTERS[name]();
      if (tf.getBackend() !== name) throw new Error(`tf.js reports backend "${tf.getBackend()}" instead`);
      const info: BackendInfo = { name, forced: wanted !== 'auto', skipped };
      if (name !== 'wasm') return info;
      return {
        ...info,
        simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
        threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
      };
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      if (wanted !== 'auto') {
        throw new BackendError(`the ${name} backend was requested (${BACKEND_ENV} or --backend) but cannot start: ${reason}`);
      }
      skipped.push(`${name}: ${reason}`);
    }
  }
  throw new BackendError(`no tf.js backend could start (${skipped.join('; ')})`);
}

const require = createRequire(import.meta.url);
let wasmPathsSet = false;

const STARTERS: Readonly<Record<BackendName, () => Promise<void>>> = {
  async tensorflow() {
    const moduleName = '@tensorflow/tfjs-node';
    try {
      require.resolve(moduleName);
    } catch {
      throw new Error(`${moduleName} is not installed (it is an optional dependency)`);
    }
    // Importing tfjs-node registers the native "tensorflow" backend with the shared tfjs-core.
    await import(moduleName);
    if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") failed');
  },
  async wasm() {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    // setWasmPaths throws once the wasm backend has initialised, so only the first start sets it.
    if (!wasmPathsSet) wasm.setWasmPaths(dist);
    wasmPathsSet = true;
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  },
  async cpu() {
    if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") failed');
  },
};
