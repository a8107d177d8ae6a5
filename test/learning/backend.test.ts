import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES, BackendError, initBackend, parseBackendName } from '../../src/learning/backend.ts';

const tfjsNodeInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

describe('backend choice', () => {
  it('parses NABI_TF_BACKEND values and names the allowed ones for anything else', () => {
    expect(parseBackendName('WASM')).toBe('wasm');
    expect(parseBackendName('')).toBe('auto');
    expect(parseBackendName('tensorflow')).toBe('tensorflow');
    expect(() => parseBackendName('webgl')).toThrow(BackendError);
    expect(() => parseBackendName('webgl')).toThrow(/NABI_TF_BACKEND="webgl".*tensorflow, wasm, cpu or auto/);
  });

  it('rejects an unknown NABI_TF_BACKEND', async () => {
    await expect(initBackend({ env: { NABI_TF_BACKEND: 'gpu' } })).rejects.toThrow(/choose tensorflow, wasm, cpu/);
  });

  it('starts a backend and reports the one in use', async () => {
    const info = await initBackend();
    expect(BACKEND_NAMES).toContain(info.name);
    expect(tf.getBackend()).toBe(info.name);
    if (!tfjsNodeInstalled && !info.forced) {
      expect(info.name).toBe('wasm');
      expect(info.skipped.join()).toMatch(/tensorflow: @tensorflow\/tfjs-node is not installed/);
    }
    expect(await initBackend()).toBe(info);
  });

  it('forcing tensorflow uses tfjs-node when it installed, and fails clearly when it did not', async () => {
    const before = tf.getBackend();
    if (tfjsNodeInstalled) {
      const info = await initBackend({ backend: 'tensorflow' });
      expect(info.name).toBe('tensorflow');
      expect(info.forced).toBe(true);
    } else {
      await expect(initBackend({ backend: 'tensorflow' })).rejects.toThrow(/tensorflow backend was requested .* not installed/);
      expect(tf.getBackend()).toBe(before);
    }
    await initBackend();
  });
});
