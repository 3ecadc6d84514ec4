import { Router } from 'express';
import type { Jobs } from '../temporal/jobs';
import { notFound } from './errors';

export function jobRoutes({ jobs }: { jobs: Jobs }): Router {
  const router = Router();
  router.get('/:id', async (req, res) => {
    const progress = await jobs.progress(req.params.id);
    if (!progress) throw notFound('Job', req.params.id);
    res.json(progress);
  });
  return router;
}
