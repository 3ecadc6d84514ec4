import type http from 'node:http';
import type { Received } from './receiver';
import { signatureValid } from './signatureCheck';

/**
 * What a receiver accepted: per path, each webhook-id answered 2xx with a valid signature (or on a
 * path with no key to check), its first arrival and how often it came. A request no known key
 * verifies is held whole: a rotation's new secret may be learnt only after the request came.
 */

interface PathLog {
  ids: Map<string, { first: number; count: number }>;
  total: number;
  duplicates: number;
}

export interface ReceiverStats {
  distinct: number;
  total: number;
  duplicates: number;
  invalidSignatures: number;
  unsigned: number;
  signatureChecked: string[];
  byPath: Record<string, { distinct: number; total: number; duplicates: number }>;
}

export class ReceiverLedger {
  private readonly keys = new Map<string, string[]>();
  private readonly paths = new Map<string, PathLog>();
  private readonly unverified: Array<{ request: Received; raw: Buffer; headers: http.IncomingHttpHeaders; answered2xx: boolean }> = [];
  private unsigned = 0;

  trust(path: string, key: string): void {
    const list = this.keys.get(path) ?? [];
    if (!list.includes(key)) list.push(key);
    this.keys.set(path, list);
  }

  keysFor(path: string): string[] {
    return this.keys.get(path) ?? [];
  }

  /** Notes a request as it comes; the function it returns is called once its answer went out. */
  record(request: Received, raw: Buffer, headers: http.IncomingHttpHeaders): () => void {
    if (!request.webhookId) {
      this.unsigned++;
      return () => undefined;
    }
    const held = request.signatureValid === false ? { request, raw, headers, answered2xx: false } : undefined;
    if (held) this.unverified.push(held);
    return () => {
      if (request.status < 200 || request.status >= 300) return;
      if (held) held.answered2xx = true;
      else this.accept(request.path, request.webhookId, request.at);
    };
  }

  private accept(path: string, webhookId: string, at: number): void {
    let log = this.paths.get(path);
    if (!log) this.paths.set(path, (log = { ids: new Map(), total: 0, duplicates: 0 }));
    log.total++;
    const seen = log.ids.get(webhookId);
    if (seen) {
      seen.count++;
      log.duplicates++;
    } else log.ids.set(webhookId, { first: at, count: 1 });
  }

  /** Checks again what no key verified, with the keys known now. */
  reverify(): void {
    for (let i = this.unverified.length - 1; i >= 0; i--) {
      const { request, raw, headers, answered2xx } = this.unverified[i];
      if (!signatureValid(this.keysFor(request.path), raw, headers)) continue;
      request.signatureValid = true;
      if (answered2xx) this.accept(request.path, request.webhookId, request.at);
      this.unverified.splice(i, 1);
    }
  }

  /** Whether `webhookId` was accepted on one of `paths`. */
  delivered(webhookId: string, paths: string[]): boolean {
    return paths.some((p) => this.paths.get(p)?.ids.has(webhookId));
  }

  private matching(prefix: string): Array<[string, PathLog]> {
    return [...this.paths].filter(([p]) => p.startsWith(prefix));
  }

  /** Distinct webhook-ids accepted on paths under `prefix`, and every acceptance. */
  count(prefix: string): { distinct: number; total: number } {
    let distinct = 0;
    let total = 0;
    for (const [, log] of this.matching(prefix)) {
      distinct += log.ids.size;
      total += log.total;
    }
    return { distinct, total };
  }

  /** path → webhook-id → first arrival. */
  arrivals(prefix: string): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [path, log] of this.matching(prefix)) {
      const ids: Record<string, number> = {};
      for (const [id, seen] of log.ids) ids[id] = seen.first;
      out[path] = ids;
    }
    return out;
  }

  stats(): ReceiverStats {
    const byPath: ReceiverStats['byPath'] = {};
    let distinct = 0;
    let total = 0;
    let duplicates = 0;
    for (const [path, log] of this.paths) {
      byPath[path] = { distinct: log.ids.size, total: log.total, duplicates: log.duplicates };
      distinct += log.ids.size;
      total += log.total;
      duplicates += log.duplicates;
    }
    return {
      distinct,
      total,
      duplicates,
      invalidSignatures: this.unverified.length,
      unsigned: this.unsigned,
      signatureChecked: [...this.keys.keys()],
      byPath,
    };
  }
}
