import { z } from 'zod';

/**
 * An endpoint's `transform` as the API takes it. Apart from the rules (transform.ts) because a
 * transform thread loads those and nothing else: zod alone would double the thread's start.
 */
export const transformSchema = z.strictObject({
  jsonata: z.string().min(1).max(20_000),
});

export type TransformSettings = z.infer<typeof transformSchema>;
