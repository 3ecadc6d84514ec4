import assert from 'node:assert/strict';
import {
  compileFilter,
  MAX_FILTER_DEPTH,
  MAX_REGEX_INPUT_LENGTH,
  type Filter,
} from '../../src/domain/filter';
import { RE2JS } from 're2js';
import { event, match, nestedAnd, nestedNot } from '../helpers/filterCases';

describe('filter', () => {
  describe('bare values and $eq', () => {
    it('a bare value means $eq', () => {
      assert.equal(match({ type: 'call.completed' }), true);
      assert.equal(match({ type: 'call.started' }), false);
      assert.equal(match({ 'data.durationMs': 45000 }), true);
      assert.equal(match({ 'data.durationMs': 45001 }), false);
      assert.equal(match({ 'data.flagged': false }), true);
      assert.equal(match({ 'data.flagged': true }), false);
    });

    it('$eq matches and fails', () => {
      assert.equal(match({ 'data.disposition': { $eq: 'qualified' } }), true);
      assert.equal(match({ 'data.disposition': { $eq: 'unqualified' } }), false);
    });

    it('does not coerce types', () => {
      assert.equal(match({ 'data.durationMs': '45000' }), false);
      assert.equal(match({ 'data.flagged': 0 }), false);
      assert.equal(match({ 'data.note': false }), false);
    });

    it('null is a value: it matches a null field, not a missing one', () => {
      assert.equal(match({ 'data.note': null }), true);
      assert.equal(match({ 'data.note': { $eq: null } }), true);
      assert.equal(match({ 'data.absent': null }), false);
      assert.equal(match({ 'data.absent': { $eq: null } }), false);
    });

    it('compares objects and arrays by structure', () => {
      assert.equal(match({ 'data.extracted.contact': { $eq: { phone: '+15550100', name: 'Ada' } } }), true, 'key order is irrelevant');
      assert.equal(match({ 'data.extracted.contact': { phone: '+15550100', name: 'Ada' } }), true, 'bare object is $eq');
      assert.equal(match({ 'data.extracted.contact': { $eq: { name: 'Ada' } } }), false, 'no partial match');
      assert.equal(match({ 'data.extracted.contact': { $eq: { name: 'Ada', phone: '+15550100', x: 1 } } }), false);
      assert.equal(match({ 'data.tags': ['vip', 'callback'] }), true);
      assert.equal(match({ 'data.tags': ['callback', 'vip'] }), false, 'array order matters');
      assert.equal(match({ 'data.tags': ['vip'] }), false);
      assert.equal(match({ 'data.tags': 'vip' }), false, 'no implicit array traversal');
      assert.equal(match({ 'data.tags': { $eq: { 0: 'vip', 1: 'callback' } } }), false, 'an object is not an array');
    });

    it('$eq takes an operand literally, even one with "$" keys', () => {
      const ev = { data: { raw: { $set: 1 } } };
      assert.equal(match({ 'data.raw': { $eq: { $set: 1 } } }, ev), true);
    });
  });

  describe('$ne', () => {
    it('is true for a different value and false for an equal one', () => {
      assert.equal(match({ 'data.disposition': { $ne: 'unqualified' } }), true);
      assert.equal(match({ 'data.disposition': { $ne: 'qualified' } }), false);
      assert.equal(match({ 'data.extracted.contact': { $ne: { phone: '+15550100', name: 'Ada' } } }), false);
      assert.equal(match({ 'data.durationMs': { $ne: '45000' } }), true);
    });
  });

  describe('$in / $nin', () => {
    it('$in matches any listed value, deeply', () => {
      assert.equal(match({ 'data.disposition': { $in: ['qualified', 'callback'] } }), true);
      assert.equal(match({ 'data.disposition': { $in: ['voicemail', 'callback'] } }), false);
      assert.equal(match({ 'data.tags': { $in: [['vip', 'callback'], 'x'] } }), true);
      assert.equal(match({ 'data.durationMs': { $in: ['45000'] } }), false);
      assert.equal(match({ 'data.disposition': { $in: [] } }), false);
    });

    it('$nin matches a present value not listed', () => {
      assert.equal(match({ 'data.disposition': { $nin: ['voicemail', 'no_answer'] } }), true);
      assert.equal(match({ 'data.disposition': { $nin: ['qualified'] } }), false);
      assert.equal(match({ 'data.disposition': { $nin: [] } }), true);
    });
  });

  describe('$gt / $gte / $lt / $lte', () => {
    it('compare numbers', () => {
      assert.equal(match({ 'data.durationMs': { $gt: 44999 } }), true);
      assert.equal(match({ 'data.durationMs': { $gt: 45000 } }), false);
      assert.equal(match({ 'data.durationMs': { $gte: 45000 } }), true);
      assert.equal(match({ 'data.durationMs': { $gte: 45001 } }), false);
      assert.equal(match({ 'data.durationMs': { $lt: 45001 } }), true);
      assert.equal(match({ 'data.durationMs': { $lt: 45000 } }), false);
      assert.equal(match({ 'data.durationMs': { $lte: 45000 } }), true);
      assert.equal(match({ 'data.durationMs': { $lte: 44999 } }), false);
      assert.equal(match({ 'data.score': { $gt: 0.5, $lt: 1 } }), true);
    });

    it('compare strings, so ISO timestamps order correctly', () => {
      assert.equal(match({ timestamp: { $gte: '2025-03-01T00:00:00.000Z' } }), true);
      assert.equal(match({ timestamp: { $lt: '2025-03-01T00:00:00.000Z' } }), false);
      assert.equal(match({ 'data.extracted.preferred_date': { $gt: '2025-03-03', $lte: '2025-03-04' } }), true);
      assert.equal(match({ 'data.extracted.preferred_date': { $gt: '2025-03-04' } }), false);
    });

    it('are false across types', () => {
      assert.equal(match({ 'data.durationMs': { $gt: '1' } }), false);
      assert.equal(match({ 'data.durationMs': { $lt: '99999999' } }), false);
      assert.equal(match({ timestamp: { $gt: 0 } }), false);
      assert.equal(match({ 'data.note': { $lte: 0 } }), false);
      assert.equal(match({ 'data.flagged': { $gte: 0 } }), false);
      assert.equal(match({ 'data.tags': { $gt: '' } }), false);
      assert.equal(match({ 'data.extracted': { $gte: '' } }), false);
    });

    it('several operators on one field are ANDed', () => {
      assert.equal(match({ 'data.durationMs': { $gte: 30000, $lt: 60000 } }), true);
      assert.equal(match({ 'data.durationMs': { $gte: 30000, $lt: 40000 } }), false);
    });
  });

  describe('$exists', () => {
    it('true matches exactly when the field is present (even if null)', () => {
      assert.equal(match({ 'data.disposition': { $exists: true } }), true);
      assert.equal(match({ 'data.note': { $exists: true } }), true);
      assert.equal(match({ 'data.absent': { $exists: true } }), false);
    });

    it('false matches exactly when the field is missing', () => {
      assert.equal(match({ 'data.absent': { $exists: false } }), true);
      assert.equal(match({ 'data.extracted.absent': { $exists: false } }), true);
      assert.equal(match({ 'data.note': { $exists: false } }), false);
      assert.equal(match({ 'data.disposition': { $exists: false } }), false);
    });

    it('a path through a non-object is missing', () => {
      assert.equal(match({ 'data.disposition.length': { $exists: false } }), true);
      assert.equal(match({ 'data.tags.0': { $exists: false } }), true, 'no array indexing');
      assert.equal(match({ 'data.note.x': { $exists: false } }), true);
    });
  });

  describe('$regex', () => {
    it('tests strings', () => {
      assert.equal(match({ 'data.disposition': { $regex: '^qual' } }), true);
      assert.equal(match({ 'data.disposition': { $regex: '^QUAL' } }), false);
      assert.equal(match({ 'data.disposition': { $regex: '^QUAL', $options: 'i' } }), true);
      assert.equal(match({ type: { $regex: '^call\\.(completed|failed)$' } }), true);
      assert.equal(match({ 'data.extracted.contact.phone': { $regex: '^\\+1555' } }), true);
    });

    it('honours flags from imsu', () => {
      const ev = { data: { text: 'first line\nSecond line' } };
      assert.equal(match({ 'data.text': { $regex: '^second' } }, ev), false);
      assert.equal(match({ 'data.text': { $regex: '^second', $options: 'mi' } }, ev), true);
      assert.equal(match({ 'data.text': { $regex: 'line.Second' } }, ev), false);
      assert.equal(match({ 'data.text': { $regex: 'line.Second', $options: 's' } }, ev), true);
      assert.equal(match({ 'data.text': { $regex: '\\p{Lu}', $options: 'u' } }, ev), true);
    });

    it('is false on non-strings', () => {
      assert.equal(match({ 'data.durationMs': { $regex: '45' } }), false);
      assert.equal(match({ 'data.tags': { $regex: 'vip' } }), false);
      assert.equal(match({ 'data.note': { $regex: '.*' } }), false);
    });

    it('is false on strings longer than the input cap', () => {
      const filter: Filter = { 'data.text': { $regex: '^a+$' } };
      assert.equal(match(filter, { data: { text: 'a'.repeat(MAX_REGEX_INPUT_LENGTH) } }), true);
      assert.equal(match(filter, { data: { text: 'a'.repeat(MAX_REGEX_INPUT_LENGTH + 1) } }), false);
    });

    it('is stateless across evaluations', () => {
      const predicate = compileFilter({ 'data.disposition': { $regex: 'qual' } });
      for (let i = 0; i < 3; i++) assert.equal(predicate(event), true);
    });

    it('compiles at compile time, never while evaluating', () => {
      const predicate = compileFilter({
        'data.disposition': { $regex: '^qual', $options: 'i' },
        $or: [{ type: { $regex: 'completed$' } }, { 'data.x': { $not: { $regex: 'y' } } }],
      });
      const original = RE2JS.compile;
      let compiled = 0;
      RE2JS.compile = (...args: Parameters<typeof original>) => {
        compiled++;
        return original.apply(RE2JS, args);
      };
      try {
        for (let i = 0; i < 100; i++) assert.equal(predicate(event), true);
        compileFilter({ type: { $regex: 'x' } });
      } finally {
        RE2JS.compile = original;
      }
      assert.equal(compiled, 1, 'evaluating compiled nothing; compiling a filter did');
    });
  });

  describe('missing fields', () => {
    const missing = 'data.absent';
    const cases: [string, Filter][] = [
      ['bare value', { [missing]: 'x' }],
      ['bare null', { [missing]: null }],
      ['$eq', { [missing]: { $eq: 'x' } }],
      ['$ne', { [missing]: { $ne: 'x' } }],
      ['$in', { [missing]: { $in: ['x', null] } }],
      ['$nin', { [missing]: { $nin: ['x'] } }],
      ['$nin []', { [missing]: { $nin: [] } }],
      ['$gt', { [missing]: { $gt: 0 } }],
      ['$gte', { [missing]: { $gte: '' } }],
      ['$lt', { [missing]: { $lt: 100 } }],
      ['$lte', { [missing]: { $lte: 'z' } }],
      ['$exists: true', { [missing]: { $exists: true } }],
      ['$regex', { [missing]: { $regex: '.*' } }],
      ['$not $eq', { [missing]: { $not: { $eq: 'x' } } }],
      ['$not $exists: true', { [missing]: { $not: { $exists: true } } }],
      ['$not $exists: false', { [missing]: { $not: { $exists: false } } }],
      ['$exists: false with $ne', { [missing]: { $exists: false, $ne: 'x' } }],
    ];
    for (const [name, filter] of cases) {
      it(`${name} is false on a missing field`, () => {
        assert.equal(match(filter), false);
        assert.equal(match(filter, {}), false);
        assert.equal(match(filter, null), false);
      });
    }

    it('$exists: false is the one condition true on a missing field', () => {
      assert.equal(match({ [missing]: { $exists: false } }), true);
    });

    it('missing intermediate objects make the field missing', () => {
      assert.equal(match({ 'data.extracted.nope.deeper': { $ne: 1 } }), false);
      assert.equal(match({ 'data.extracted.nope.deeper': { $exists: false } }), true);
    });

    it('field-level $not is true on a present field that fails the inner condition', () => {
      assert.equal(match({ 'data.durationMs': { $not: { $gt: 60000 } } }), true);
      assert.equal(match({ 'data.durationMs': { $not: { $gt: 30000 } } }), false);
      assert.equal(match({ 'data.note': { $not: { $exists: false } } }), true);
      assert.equal(match({ 'data.disposition': { $not: { $regex: '^no_' } } }), true);
      assert.equal(match({ 'data.disposition': { $not: { $not: { $eq: 'qualified' } } } }), true);
    });
  });

  describe('documents and logic', () => {
    it('an empty filter matches every event', () => {
      assert.equal(match({}), true);
      assert.equal(match({}, {}), true);
    });

    it('keys of a document are ANDed', () => {
      assert.equal(match({ type: 'call.completed', 'data.disposition': 'qualified' }), true);
      assert.equal(match({ type: 'call.completed', 'data.disposition': 'voicemail' }), false);
    });

    it('$and requires every document', () => {
      assert.equal(match({ $and: [{ type: 'call.completed' }, { 'data.durationMs': { $gte: 30000 } }] }), true);
      assert.equal(match({ $and: [{ type: 'call.completed' }, { 'data.durationMs': { $gte: 60000 } }] }), false);
    });

    it('$or requires some document', () => {
      assert.equal(match({ $or: [{ type: 'call.failed' }, { 'data.disposition': 'qualified' }] }), true);
      assert.equal(match({ $or: [{ type: 'call.failed' }, { 'data.disposition': 'voicemail' }] }), false);
      assert.equal(match({ $or: [{ 'data.absent': { $ne: 1 } }, { 'data.absent': { $exists: false } }] }), true);
    });

    it('document-level $not is the logical complement, also of missing fields', () => {
      assert.equal(match({ $not: { type: 'call.test' } }), true);
      assert.equal(match({ $not: { type: 'call.completed' } }), false);
      assert.equal(match({ $not: { 'data.absent': 'x' } }), true, 'unlike field-level $not');
      assert.equal(match({ 'data.absent': { $not: { $eq: 'x' } } }), false);
      assert.equal(match({ $not: {} }), false);
    });

    it('combines $and, $or, $not and field conditions', () => {
      const filter: Filter = {
        type: { $in: ['call.completed', 'call.transferred'] },
        $or: [
          { 'data.disposition': 'qualified', 'data.durationMs': { $gte: 30000 } },
          { $and: [{ 'data.extracted.preferred_date': { $exists: true } }, { 'data.flagged': true }] },
        ],
        $not: { 'data.tags': ['spam'] },
      };
      assert.equal(match(filter), true);
      assert.equal(match(filter, { ...event, type: 'call.started' }), false);
      assert.equal(match(filter, { ...event, data: { ...event.data, tags: ['spam'] } }), false);
      assert.equal(match(filter, { ...event, data: { ...event.data, durationMs: 1000 } }), false);
      assert.equal(match(filter, { ...event, data: { ...event.data, durationMs: 1000, flagged: true } }), true);
    });

    it('evaluates anything as an event without throwing', () => {
      const predicate = compileFilter({ 'data.x': { $exists: false }, $or: [{ id: { $ne: 1 } }, { $not: { id: 1 } }] });
      for (const ev of [undefined, null, 42, 'str', [], { data: 'str' }]) assert.equal(predicate(ev), true);
    });

    it(`accepts nesting up to depth ${MAX_FILTER_DEPTH}`, () => {
      assert.equal(match(nestedAnd(MAX_FILTER_DEPTH)), true);
      assert.equal(match(nestedNot(MAX_FILTER_DEPTH - 1)), true, 'odd number of $not around $eq: 1 on 45000');
    });
  });
});
