import { Router } from 'express';
import { notFound } from './errors';
import { scopeOf } from './tenantScope';

export function jobRoutes(): Router {
  const router = Router();
  router.get('/:id', async (req, res) => {
    // Another tenant's job is answered as one that does not exist.
    const progress = await scopeOf(res).jobs.progress(req.params.id);
    if (!progress) throw notFound('Job', req.params.id);
    res.json(progress);
  });
  return router;
}
