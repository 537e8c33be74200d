// The real-file corpus lives outside the repository (../shared/corpus/real, beside the clone). Tests that
// need it skip, saying why, where it is missing: a fresh clone alone must pass `npm test`.
// FABRIC_LAB_CORPUS points elsewhere (the tests-anywhere check uses it to play a clone without ../shared).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '../..');
export const corpus = resolve(process.env.FABRIC_LAB_CORPUS ?? resolve(repoRoot, '../shared/corpus/real'));
export const hasCorpus = existsSync(join(corpus, 'README.md'));
export const noCorpus = !hasCorpus;

/** Say once per test file why its corpus tests are skipped (vitest's summary counts them as skipped). */
export function reportMissingCorpus(file: string): void {
  if (hasCorpus) return;
  console.warn(`${file}: the shared real-file corpus is missing (expected ${corpus} with README.md); its corpus tests are skipped.`);
}
