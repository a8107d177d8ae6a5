// 기본 LSTM 모델 — the tutorial's stateless LSTM:
//   model.add(LSTM(128, input_shape = (4, 1)))
//   model.add(Dense(one_hot_vec_size, activation='softmax'))
//   model.fit(train_X, train_Y, epochs=2000, batch_size=1)
// The window is a sequence of 4 time steps with one feature (index / max_idx_value); the state
// starts from zero for every sample.

import * as tf from '@tensorflow/tfjs';
import { buildTidy, compileModel, encodeWindows, kerasDense, kerasLstm, normalisedIndex, setOrthogonalKernels } from './common.ts';
import type { BuildOptions, ModelSpec } from './types.ts';

export const lstm: ModelSpec = {
  name: 'lstm',
  title: 'LSTM',
  description:
    'One LSTM layer of 128 units over the window as a sequence, then a softmax layer; state starts ' +
    'from zero for every window. The tutorial reaches ≈92% after 2000 epochs.',
  batchSize: 1,
  stateful: false,
  shuffle: true,
  featuresPerStep: 1,
  sampleShape: (window) => [window, 1],
  stepFeatures: normalisedIndex,
  encode: (windows, vocabulary) => encodeWindows(lstm, windows, vocabulary),
  build({ window, classes, seed }: BuildOptions) {
    return buildTidy(() => {
      const model = tf.sequential({ name: 'lstm' });
      model.add(kerasLstm(seed, { inputShape: [window, 1] }));
      model.add(kerasDense(seed, 'dense_1', classes, 'softmax'));
      setOrthogonalKernels(model, seed);
      compileModel(model);
      return model;
    });
  },
};

export default lstm;
