// 상태유지 LSTM 모델 — the tutorial's stateful LSTM:
//   model.add(LSTM(128, batch_input_shape = (1, 4, 1), stateful=True))
//   model.add(Dense(one_hot_vec_size, activation='softmax'))
//   for epoch_idx in range(num_epochs):
//       model.fit(train_X, train_Y, epochs=1, batch_size=1, shuffle=False)
//       model.reset_states()
// The state left by one window is the starting state of the next, so the model can remember
// more of the song than its window; it is reset at every epoch end and before every prediction run.

import * as tf from '@tensorflow/tfjs';
import { buildTidy, compileModel, encodeWindows, kerasDense, kerasLstm, normalisedIndex, setOrthogonalKernels } from './common.ts';
import type { BuildOptions, ModelSpec } from './types.ts';

export const stateful: ModelSpec = {
  name: 'stateful',
  title: 'Stateful LSTM',
  description:
    'One stateful LSTM layer of 128 units (batch 1): the state carries from window to window through ' +
    'the song and is reset every epoch. The tutorial sings the whole song back after 2000 epochs.',
  batchSize: 1,
  stateful: true,
  shuffle: false,
  featuresPerStep: 1,
  sampleShape: (window) => [window, 1],
  stepFeatures: normalisedIndex,
  encode: (windows, vocabulary) => encodeWindows(stateful, windows, vocabulary),
  build({ window, classes, seed }: BuildOptions) {
    return buildTidy(() => {
      const model = tf.sequential({ name: 'stateful' });
      model.add(kerasLstm(seed, { batchInputShape: [1, window, 1], stateful: true }));
      model.add(kerasDense(seed, 'dense_1', classes, 'softmax'));
      setOrthogonalKernels(model, seed);
      compileModel(model);
      return model;
    });
  },
};

export default stateful;
