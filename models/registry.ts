// Model names → architectures. The order is the tutorial's (and the order of `/train model:all`).

import { lstm } from './lstm.ts';
import { mlp } from './mlp.ts';
import { stateful2f } from './stateful-2f.ts';
import { stateful } from './stateful.ts';
import type { ModelSpec } from './types.ts';

export const MODEL_NAMES = ['mlp', 'lstm', 'stateful', 'stateful-2f'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

const SPECS: Readonly<Record<ModelName, ModelSpec>> = {
  mlp,
  lstm,
  stateful,
  'stateful-2f': stateful2f,
};

export const MODEL_SPECS: readonly ModelSpec[] = MODEL_NAMES.map((name) => SPECS[name]);

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

export class UnknownModelError extends Error {
  override name = 'UnknownModelError';
}

export function getModelSpec(name: string): ModelSpec {
  if (!isModelName(name)) {
    const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name;
    throw new UnknownModelError(`unknown model "${shown}": choose one of ${MODEL_NAMES.join(', ')}`);
  }
  return SPECS[name];
}
