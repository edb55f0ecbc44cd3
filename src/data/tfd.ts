// The Toronto Face Database, Li & Malik's test set, is not publicly distributed, so there is no
// loader to run: this slot says where it comes from and what stands in for it.
import { UserError } from '../errors.ts';
import type { ClassificationData } from './classification-data.ts';

export function loadTfd(): ClassificationData {
  throw new UserError(
    'TFD (Susskind, Anderson & Hinton, "The Toronto Face Database", U. Toronto tech. report 2010) is not publicly ' +
      'distributed; access is granted on request by the University of Toronto machine-learning group. ' +
      'Use --param dataset=fer2013 (48×48 faces, 7 expressions), the stand-in the experiments use.',
  );
}
