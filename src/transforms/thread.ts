import workerpool from 'workerpool';
import { compileTransform, type CompiledTransform } from '../domain/transform';
import { hasCode } from '../errors';
import { TRANSFORM_STARTED, type ThreadOutcome } from './protocol';

/**
 * A transform thread (src/transforms/pool.ts runs it): evaluates one expression on one body at a
 * time. Expressions compile once per thread and stay cached by their text, which is what an
 * endpoint version's transform is, so an edited expression is simply another entry.
 */

const MAX_CACHED = 256;
const compiled = new Map<string, CompiledTransform>();

function expressionOf(source: string): CompiledTransform {
  let transform = compiled.get(source);
  if (!transform) {
    transform = compileTransform({ jsonata: source });
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(source, transform);
  }
  return transform;
}

async function transform(source: string, body: unknown): Promise<ThreadOutcome> {
  // The pool's hard deadline starts now, not while the thread was still booting.
  workerpool.workerEmit(TRANSFORM_STARTED);
  try {
    return { text: await expressionOf(source).run(body) };
  } catch (err) {
    // Only the message crosses back: it is what the delivery's review and the preview show.
    if (hasCode(err, 'transform_failed', 'invalid_transform')) return { failure: err.message };
    throw err;
  }
}

workerpool.worker({ transform });
