import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  compileFilter,
  filterSchema,
  MAX_FILTER_DEPTH,
  MAX_REGEX_LENGTH,
  type Filter,
} from '../../src/domain/filter';
import { problems, rejects, nestedAnd, nestedNot } from '../helpers/filterCases';

describe('filter validation', () => {
  describe('schema and compile', () => {
    it('accepts a valid complex filter unchanged', () => {
      const filter = {
        'data.disposition': { $in: ['qualified', 'callback'] },
        'data.durationMs': { $gte: 30000, $lt: 3600000 },
        'data.extracted.preferred_date': { $exists: true, $regex: '^\\d{4}-\\d{2}-\\d{2}$' },
        type: 'call.completed',
        $or: [
          { 'data.agent.name': { $regex: 'sales', $options: 'i' } },
          { $and: [{ 'data.score': { $gt: 0.5 } }, { 'data.tags': { $nin: [['test']] } }] },
        ],
        $not: { 'data.flagged': true },
        'data.note': { $not: { $eq: 'internal' } },
        'data.extracted.contact': { name: 'Ada', phone: null },
      };
      assert.deepEqual(problems(filter), []);
      assert.deepEqual(filterSchema.parse(filter), filter);
      assert.equal(typeof compileFilter(filterSchema.parse(filter)), 'function');
    });

    it('accepts the empty filter', () => {
      assert.deepEqual(problems({}), []);
    });

    it('rejects a non-object filter', () => {
      rejects(null, 'filter must be an object');
      rejects([], 'filter must be an object');
      rejects('type', 'filter must be an object');
      rejects({ $and: [1] }, 'filter.$and[0] must be an object');
    });

    it('rejects unknown operators', () => {
      rejects({ 'data.x': { $foo: 1 } }, 'filter["data.x"].$foo is not a known operator');
      rejects({ $nor: [{ a: 1 }] }, 'filter.$nor is not a known operator (document level allows $and, $or, $not)');
      rejects({ 'data.x': { $and: [{ a: 1 }] } }, 'filter["data.x"].$and is not a known operator');
      rejects({ 'data.x': { $not: { $foo: 1 } } }, 'filter["data.x"].$not.$foo is not a known operator');
    });

    it('rejects operators mixed with plain keys', () => {
      rejects({ 'data.x': { $eq: 1, name: 'a' } }, 'filter["data.x"]["name"] mixes a plain key with operators; use $eq to match an object literally');
    });

    it('rejects bad dot paths', () => {
      rejects({ 'data..x': 1 }, 'filter["data..x"] is not a valid dot path');
      rejects({ '': 1 }, 'filter[""] is not a valid dot path');
      rejects({ 'data.': 1 }, 'filter["data."] is not a valid dot path');
    });

    it('rejects $in / $nin that are not arrays', () => {
      rejects({ 'data.x': { $in: 'a' } }, 'filter["data.x"].$in must be an array');
      rejects({ 'data.x': { $nin: { a: 1 } } }, 'filter["data.x"].$nin must be an array');
    });

    it('rejects $and / $or that are not non-empty arrays', () => {
      rejects({ $and: [] }, 'filter.$and must be a non-empty array of filter documents');
      rejects({ $or: { a: 1 } }, 'filter.$or must be a non-empty array of filter documents');
      rejects({ $or: [{ $and: [] }] }, 'filter.$or[0].$and must be a non-empty array of filter documents');
    });

    it('rejects a non-boolean $exists', () => {
      rejects({ 'data.x': { $exists: 1 } }, 'filter["data.x"].$exists must be a boolean');
      rejects({ 'data.x': { $exists: 'true' } }, 'filter["data.x"].$exists must be a boolean');
    });

    it('rejects comparison operands that are not numbers or strings', () => {
      rejects({ 'data.x': { $gt: null } }, 'filter["data.x"].$gt must be a number or a string');
      rejects({ 'data.x': { $lte: [1] } }, 'filter["data.x"].$lte must be a number or a string');
      rejects({ 'data.x': { $gte: true } }, 'filter["data.x"].$gte must be a number or a string');
      rejects({ 'data.x': { $lt: Infinity } }, 'filter["data.x"].$lt must be a number or a string');
    });

    it('rejects operands that are not JSON', () => {
      rejects({ 'data.x': { $eq: undefined } }, 'filter["data.x"].$eq must be a JSON value (at most 32 levels deep)');
      rejects({ 'data.x': { $in: [1, new Date(0)] } }, 'filter["data.x"].$in[1] must be a JSON value (at most 32 levels deep)');
      rejects({ 'data.x': NaN }, 'filter["data.x"] must be a JSON value (at most 32 levels deep)');
      let deep: unknown = 1;
      for (let i = 0; i < 40; i++) deep = [deep];
      rejects({ 'data.x': { $ne: deep } }, 'filter["data.x"].$ne must be a JSON value (at most 32 levels deep)');
    });

    it('rejects bad regexes', () => {
      rejects({ 'data.x': { $regex: 5 } }, 'filter["data.x"].$regex must be a string');
      assert.match(problems({ 'data.x': { $regex: '(' } })[0], /^filter\["data\.x"\]\.\$regex is not a valid regular expression: /);
      assert.match(problems({ 'data.x': { $regex: '\\p{Nope}', $options: 'u' } })[0], /\$regex is not a valid regular expression/);
      rejects({ 'data.x': { $regex: 'a'.repeat(MAX_REGEX_LENGTH + 1) } }, `filter["data.x"].$regex must be at most ${MAX_REGEX_LENGTH} characters`);
      assert.deepEqual(problems({ 'data.x': { $regex: 'a'.repeat(MAX_REGEX_LENGTH) } }), []);
      rejects({ 'data.x': { $regex: 'a', $options: 'g' } }, 'filter["data.x"].$options must be a string of flags from "imsu"');
      rejects({ 'data.x': { $regex: 'a', $options: 1 } }, 'filter["data.x"].$options must be a string of flags from "imsu"');
      assert.match(problems({ 'data.x': { $regex: 'a', $options: 'ii' } })[0], /\$regex is not a valid regular expression/);
      rejects({ 'data.x': { $options: 'i' } }, 'filter["data.x"].$options requires $regex');
    });

    it('rejects a malformed field-level $not', () => {
      rejects({ 'data.x': { $not: 3 } }, 'filter["data.x"].$not must be a non-empty operator object, e.g. { "$eq": 1 }');
      rejects({ 'data.x': { $not: {} } }, 'filter["data.x"].$not must be a non-empty operator object, e.g. { "$eq": 1 }');
      rejects({ 'data.x': { $not: { a: 1 } } }, 'filter["data.x"].$not must be a non-empty operator object, e.g. { "$eq": 1 }');
      rejects({ $not: [{ a: 1 }] }, 'filter.$not must be an object');
    });

    it(`rejects nesting deeper than ${MAX_FILTER_DEPTH}`, () => {
      const tooDeep = `exceeds the maximum nesting depth of ${MAX_FILTER_DEPTH}`;
      assert.deepEqual(problems(nestedAnd(MAX_FILTER_DEPTH)), []);
      rejects(nestedAnd(MAX_FILTER_DEPTH + 1), `filter${'.$and[0]'.repeat(MAX_FILTER_DEPTH)} ${tooDeep}`);
      assert.deepEqual(problems(nestedNot(MAX_FILTER_DEPTH - 1)), []);
      rejects(nestedNot(MAX_FILTER_DEPTH), `filter["data.durationMs"]${'.$not'.repeat(MAX_FILTER_DEPTH)} ${tooDeep}`);
      let notDocs: Filter = { a: 1 };
      for (let i = 0; i < MAX_FILTER_DEPTH; i++) notDocs = { $not: notDocs };
      rejects(notDocs, `filter${'.$not'.repeat(MAX_FILTER_DEPTH)} ${tooDeep}`);
    });

    it('reports every problem, with zod paths relative to where the schema is used', () => {
      const endpoint = z.object({ filter: filterSchema });
      const result = endpoint.safeParse({ filter: { 'data.x': { $in: 1 }, $or: [{ 'data.y': { $exists: 'no' } }] } });
      assert.equal(result.success, false);
      assert.deepEqual(
        result.error!.issues.map((issue) => [issue.path, issue.message]),
        [
          [['filter', 'data.x', '$in'], 'filter["data.x"].$in must be an array'],
          [['filter', '$or', 0, 'data.y', '$exists'], 'filter.$or[0]["data.y"].$exists must be a boolean'],
        ],
      );
    });
  });
});
