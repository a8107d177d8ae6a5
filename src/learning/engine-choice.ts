// Which engine trains a model: Nabi's fast engine (src/fast, the default) or tf.js's own training
// (the reference). A module of its own, free of tf.js, so that the bot's main thread can name and
// check engines (the /train option, job parameters) without loading a tensor library.

export const ENGINE_ENV = 'NABI_ENGINE';
export const ENGINE_NAMES = ['tfjs', 'fast'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export class EngineChoiceError extends Error {
  override name = 'EngineChoiceError';
}

export function isEngineName(value: string): value is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(value);
}

/** Reads NABI_ENGINE (default fast); a clear error for anything else. */
export function engineFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): EngineName {
  const v = (env[ENGINE_ENV] ?? '').trim().toLowerCase();
  // The fast engine computes the same mathematics as tf.js (tested against its autodiff) 40–90×
  // faster, so it is the default; NABI_ENGINE=tfjs selects the reference engine.
  if (v === '') return 'fast';
  if (isEngineName(v)) return v;
  const shown = v.length > 30 ? `${v.slice(0, 30)}…` : v;
  throw new EngineChoiceError(`${ENGINE_ENV}="${shown}" is not a training engine: choose ${ENGINE_NAMES.join(' or ')}`);
}
