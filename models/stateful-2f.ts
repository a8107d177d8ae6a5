// 입력 속성이 여러 개인 모델 — the tutorial's stateful LSTM with two features per note:
//   code2scale = {'c':0, 'd':1, 'e':2, 'f':3, 'g':4, 'a':5, 'b':6}; code2length = {'4':0, '8':1}
//   def code2features(code): return [code2scale[code[0]] / 6.0, code2length[code[1]]]
//   model.add(LSTM(128, batch_input_shape = (1, 4, 2), stateful=True))
//
// How the two features generalise beyond 나비야 (and reduce to code2features on it):
// * pitch = the note's column among the vocabulary's pitch columns (the naturals of every octave
//   the melody spans plus any altered pitches, ascending) divided by (columns − 1), so notes span
//   [0, 1] from the lowest to the highest column. A one-octave, naturals-only melody has the
//   7 columns c … b, which gives exactly code2scale[letter] / 6. Octaves stay apart (c5 is above
//   b4), accidentals sit between their neighbours (c#4 between c4 and d4).
// * a rest has pitch −1: outside the notes' [0, 1], so it cannot be mistaken for any pitch, and
//   its duration still uses the duration feature below.
// * duration = the rank of the note length among the lengths present, longest first, divided by
//   (lengths − 1) — 0 for the longest, 1 for the shortest, 0 when there is only one length. With
//   quarters and eighths that is code2length: '4' → 0, '8' → 1.
// Like the tutorial, the output is still one of the vocabulary's classes (code2idx).

import * as tf from '@tensorflow/tfjs';
import { gridPosition } from '../src/learning/vocabulary.ts';
import type { Vocabulary } from '../src/learning/vocabulary.ts';
import { buildTidy, compileModel, encodeWindows, kerasDense, kerasLstm, setOrthogonalKernels } from './common.ts';
import type { BuildOptions, ModelSpec } from './types.ts';

export const REST_PITCH_FEATURE = -1;

/** [pitch, duration] of a vocabulary index, as described above. */
export function twoFeatures(index: number, vocabulary: Vocabulary): readonly [number, number] {
  const { row, column } = gridPosition(vocabulary, index);
  const pitchColumns = vocabulary.pitches.length;
  const pitch =
    column >= pitchColumns ? REST_PITCH_FEATURE : pitchColumns > 1 ? column / (pitchColumns - 1) : 0;
  const lengths = vocabulary.durations.length;
  const duration = lengths > 1 ? row / (lengths - 1) : 0;
  return [pitch, duration];
}

export const stateful2f: ModelSpec = {
  name: 'stateful-2f',
  title: 'Stateful LSTM, 2 features',
  description:
    'The stateful LSTM, fed each note as two features — pitch and length — instead of one index, ' +
    'closer to how people read a score. The tutorial sings the whole song back after 2000 epochs.',
  batchSize: 1,
  stateful: true,
  shuffle: false,
  featuresPerStep: 2,
  sampleShape: (window) => [window, 2],
  stepFeatures: twoFeatures,
  encode: (windows, vocabulary) => encodeWindows(stateful2f, windows, vocabulary),
  build({ window, classes, seed }: BuildOptions) {
    return buildTidy(() => {
      const model = tf.sequential({ name: 'stateful_2f' });
      model.add(kerasLstm(seed, { batchInputShape: [1, window, 2], stateful: true }));
      model.add(kerasDense(seed, 'dense_1', classes, 'softmax'));
      setOrthogonalKernels(model, seed);
      compileModel(model);
      return model;
    });
  },
};

export default stateful2f;
