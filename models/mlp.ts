// 다층 퍼셉트론 모델 — the tutorial's multilayer perceptron:
//   model.add(Dense(128, input_dim=4, activation='relu'))
//   model.add(Dense(128, activation='relu'))
//   model.add(Dense(one_hot_vec_size, activation='softmax'))
//   model.fit(train_X, train_Y, epochs=2000, batch_size=10)
// The window's notes are the input features (index / max_idx_value), not a sequence.

import * as tf from '@tensorflow/tfjs';
import { buildTidy, compileModel, encodeWindows, HIDDEN_UNITS, kerasDense, normalisedIndex } from './common.ts';
import type { BuildOptions, ModelSpec } from './types.ts';

export const mlp: ModelSpec = {
  name: 'mlp',
  title: 'Multilayer perceptron',
  description:
    'Three dense layers (128 relu, 128 relu, softmax) that see the window as one vector of note indices. ' +
    'The tutorial reaches ≈92% after 2000 epochs and loses the song once a note goes wrong.',
  batchSize: 10,
  stateful: false,
  shuffle: true,
  featuresPerStep: 1,
  sampleShape: (window) => [window],
  stepFeatures: normalisedIndex,
  encode: (windows, vocabulary) => encodeWindows(mlp, windows, vocabulary),
  build({ window, classes, seed }: BuildOptions) {
    return buildTidy(() => {
      const model = tf.sequential({ name: 'mlp' });
      model.add(kerasDense(seed, 'dense_1', HIDDEN_UNITS, 'relu', [window]));
      model.add(kerasDense(seed, 'dense_2', HIDDEN_UNITS, 'relu'));
      model.add(kerasDense(seed, 'dense_3', classes, 'softmax'));
      compileModel(model);
      return model;
    });
  },
};

export default mlp;
