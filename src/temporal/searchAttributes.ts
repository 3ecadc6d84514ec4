import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { searchAttributes } from '../../workflows/contract';

const INDEXED_TYPE = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
} as const;

/** `Name=Type` pairs in the form `temporal server start-dev --search-attribute` takes. */
export function devServerSearchAttributeFlags(): string[] {
  return Object.values(searchAttributes).flatMap((key) => [
    '--search-attribute',
    `${key.name}=${key.type === 'KEYWORD_LIST' ? 'KeywordList' : 'Keyword'}`,
  ]);
}

/** Registers any of the service's search attributes the namespace does not have yet. */
export async function ensureSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.values(searchAttributes).filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((key) => [key.name, INDEXED_TYPE[key.type as keyof typeof INDEXED_TYPE]]),
    ),
  });
  return missing.map((key) => key.name);
}
